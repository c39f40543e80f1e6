"""Firing events on a case and the deadline engine: pure, no clock, no I/O.

- `raise_concern` opens a case: triage (`states.triage`) sets the required actions, the
  no-tipping-off restriction and the deadlines it names; a `raise_concern` transition event
  carries the facts so that the log alone replays the case.
- `fire` validates the event data, applies the order rule (DESIGN 2.3, 6: an event dated in the
  future, before the concern, or before the previous event of its own machine is an
  `InvalidStep` that says which), runs the event through ONE shared `transitions` machine per
  machine type with a light model (engineering.md: 26 us a trigger; the stored state is attached per
  call, never overwritten), turns a failed guard or a wrong-state trigger into
  `TransitionRefused(reason)`, and on success applies the effects: state, facts, strategy
  discussions, allocation, the assessment awaiting authorisation, and the deadline effects read
  from the policy table (`TimescaleRule.started_by` / `met_by`; no day count lives here, house
  rule 2). Every effect appends a `CaseEvent` dated when the event happened (`at`) and stamped
  with when it was recorded (`recorded_at`).
- `correct_date` moves an earlier event to when it really happened: every deadline counted from
  it (`anchor_seq`) or met by it (`met_seq`) is recomputed (an open one moves, a met one is judged
  again as met or missed), and the correction, both times and the reason are in the log.
- `recalculate` recomputes open deadlines after a calendar change; met, missed and cancelled ones
  are history and never change (DESIGN 3.2, 5).
- `replay` rebuilds a case from its transition events, corrections included.

Anchors (DESIGN 3.1): a deadline is anchored on the event that starts it, except
`single_assessment` (the referral instant, Working Together 2023: "45 working days from the point
of referral") and `initial_child_protection_conference` (the strategy discussion at which the
Section 47 enquiry started; later discussions do not move it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from pydantic import BaseModel

from calendars import LONDON, Due, Region, WorkingDayCalendar, end_of_london_day, to_utc
from states import (
    CASE_LEVEL_EVENTS,
    EVENT_DATA,
    MACHINE_OF_EVENT,
    NO_ALLEGATION,
    AddNoteData,
    AllegationOutcomeData,
    AllegationState,
    AllocateData,
    CaseFacts,
    CaseState,
    CloseData,
    CompleteAssessmentData,
    ConferenceOutcome,
    ConveneStrategyDiscussionData,
    CorrectDateData,
    DeadlineKind,
    Event,
    GuardContext,
    HoldConferenceData,
    MachineName,
    Policy,
    ReceiptPolicy,
    RecordedDate,
    RecordFactsData,
    RequiredAction,
    StrategyDiscussion,
    TimescaleRule,
    TransferData,
    build_machine,
    parse_event_data,
    refusal_before_data,
    triage,
)
from workflows.alerting import reschedule_alerts, schedule_alerts
from workflows.domain import (
    AssessmentSubmission,
    Case,
    CaseEvent,
    CaseEventKind,
    Deadline,
    DeadlineStatus,
    HeldStrategyDiscussion,
    MachineMark,
    effective_history,
)
from workflows.errors import InvalidStep, TransitionRefused

__all__ = ["FireResult", "fire", "raise_concern", "recalculate", "refusal_now", "replay"]


@dataclass(frozen=True)
class FireResult:
    """The states after the event and the events it appended (also in `case.pending_events`)."""

    state: CaseState
    allegation_state: AllegationState | None
    events: tuple[CaseEvent, ...]


# -- the shared machines -------------------------------------------------------------------------


@cache
def _machine(name: MachineName) -> Any:
    """One shared machine per machine type, built once (engineering.md: a shared machine firing
    `machine.events[name].trigger(model)`; models are never added to it)."""
    return build_machine(name)


class _Model:
    """The light object a shared machine moves: only the machine's state attribute."""

    def __init__(self, attribute: str, value: str) -> None:
        setattr(self, attribute, value)


def _state_text(value: object) -> str:
    return str(getattr(value, "value", value))


def _trigger(machine_name: MachineName, event: Event, current: str, ctx: GuardContext) -> str:
    """Fire `event` from `current` on the shared machine; the destination state, or
    `TransitionRefused` with the guard's reason or the states it is allowed from."""
    machine = _machine(machine_name)
    attribute = machine_name.attribute
    model = _Model(attribute, current)
    trigger = machine.events.get(event.value)
    if trigger is None or current not in trigger.transitions:
        allowed = sorted(trigger.transitions) if trigger is not None else []
        shown = "none (no LADO track)" if current == NO_ALLEGATION else current
        where = ", ".join(allowed) or "nowhere"
        raise TransitionRefused(
            f"cannot {event.value} from state {shown}: allowed from {where}", event=event.value
        )
    refusals: list[str] = []
    if not trigger.trigger(model, guard_context=ctx, refusals=refusals):
        reason = refusals[0] if refusals else f"{event.value} refused"
        raise TransitionRefused(reason, event=event.value)
    return _state_text(getattr(model, attribute))


# -- deadlines -----------------------------------------------------------------------------------


def _compute_due(
    rule: TimescaleRule,
    anchor: datetime,
    calendar: WorkingDayCalendar,
    *,
    urgent: bool,
    facts: CaseFacts,
    receipt: ReceiptPolicy,
) -> Due:
    if isinstance(rule.duration, RecordedDate):
        recorded = _recorded_date(facts, rule.duration.field)
        return Due(recorded, end_of_london_day(recorded))
    return rule.due(anchor, calendar, urgent=urgent, receipt=receipt)


def _recorded_date(facts: CaseFacts, field: str) -> Any:
    agreement = facts.working_agreement
    if agreement is None or not hasattr(agreement, field):
        raise InvalidStep(f"no recorded {field} to set the deadline by")
    return getattr(agreement, field)


class _Effects:
    """Applies one step's effects to a case, appending its events."""

    def __init__(
        self,
        case: Case,
        *,
        at: datetime,
        recorded_at: datetime,
        actor: str,
        calendar: WorkingDayCalendar,
        policy: Policy,
    ) -> None:
        self.case = case
        self.at = at
        self.recorded_at = recorded_at
        self.actor = actor
        self.calendar = calendar
        self.policy = policy
        self.late = policy.recorded_late(at, recorded_at, calendar)
        self.events: list[CaseEvent] = []
        self.transition_seq: int | None = None

    def record(self, kind: CaseEventKind, **fields: Any) -> CaseEvent:
        case = self.case
        case.last_seq += 1
        event = CaseEvent(
            seq=case.last_seq,
            at=self.at,
            recorded_at=self.recorded_at,
            actor=self.actor,
            kind=kind,
            late=self.late,
            **fields,
        )
        case.pending_events.append(event)
        case.history.append(event)
        if case.last_event_at is None or self.at > case.last_event_at:
            case.last_event_at = self.at
        if kind is CaseEventKind.TRANSITION:
            self.transition_seq = event.seq
        self.events.append(event)
        return event

    def _deadline_data(self, d: Deadline) -> dict[str, Any]:
        return {
            "deadline": d.kind.value,
            "deadline_id": d.id,
            "anchor_at": d.anchor_at.isoformat(),
            "due_date": d.due_date.isoformat(),
            "due_at": d.due_at.isoformat(),
        }

    def start(
        self,
        kind: DeadlineKind,
        anchor: datetime,
        *,
        anchor_seq: int | None = None,
        urgent: bool = False,
        started_by: str | None = None,
    ) -> Deadline:
        rule = self.policy.rule(kind)
        due = _compute_due(
            rule,
            anchor,
            self.calendar,
            urgent=urgent,
            facts=self.case.facts,
            receipt=self.policy.receipt,
        )
        deadline = Deadline(
            kind=kind,
            anchor_at=to_utc(anchor),
            due_date=due.due_date,
            due_at=due.due_at,
            calendar_version=self.calendar.version,
            policy_name=self.policy.name,
            case_id=self.case.id,
            urgent=urgent,
            anchor_seq=self.transition_seq if anchor_seq is None else anchor_seq,
        )
        schedule_alerts(deadline, self.calendar, self.policy)
        self.case.deadlines.append(deadline)
        data = self._deadline_data(deadline)
        if started_by is not None:
            data["started_by"] = started_by
        self.record(
            CaseEventKind.DEADLINE_STARTED,
            data=data,
            calendar_version=self.calendar.version,
        )
        return deadline

    def reanchor(
        self,
        deadline: Deadline,
        anchor: datetime,
        *,
        anchor_seq: int | None,
        reason: str = "re-anchored",
    ) -> None:
        """Count an open deadline from a new anchor (a new working agreement, a corrected
        date); a `deadline_moved` entry keeps both due dates."""
        rule = self.policy.rule(deadline.kind)
        due = _compute_due(
            rule,
            anchor,
            self.calendar,
            urgent=deadline.urgent,
            facts=self.case.facts,
            receipt=self.policy.receipt,
        )
        old_date, old_version = deadline.due_date, deadline.calendar_version
        deadline.anchor_at = to_utc(anchor)
        deadline.anchor_seq = anchor_seq
        deadline.due_date, deadline.due_at = due.due_date, due.due_at
        deadline.calendar_version = self.calendar.version
        reschedule_alerts(deadline, self.calendar, self.policy)
        self.record(
            CaseEventKind.DEADLINE_MOVED,
            data={
                **self._deadline_data(deadline),
                "old_due_date": old_date.isoformat(),
                "new_due_date": due.due_date.isoformat(),
                "old_calendar_version": old_version,
                "new_calendar_version": self.calendar.version,
                "reason": reason,
            },
            calendar_version=self.calendar.version,
        )

    def rejudge(
        self,
        deadline: Deadline,
        *,
        anchor: datetime | None,
        met_at: datetime | None,
        reason: str,
    ) -> None:
        """A met or missed deadline after a corrected date (DESIGN 2.3): its due date is counted
        again from a corrected anchor, its meeting moved to a corrected time, and it is judged
        again as met or missed; `deadline_rejudged` keeps the old and new judgement."""
        old_due, old_status, old_met = deadline.due_date, deadline.status, deadline.met_at
        if anchor is not None:
            due = _compute_due(
                self.policy.rule(deadline.kind),
                anchor,
                self.calendar,
                urgent=deadline.urgent,
                facts=self.case.facts,
                receipt=self.policy.receipt,
            )
            deadline.anchor_at = to_utc(anchor)
            deadline.due_date, deadline.due_at = due.due_date, due.due_at
            deadline.calendar_version = self.calendar.version
        if met_at is not None:
            deadline.met_at = to_utc(met_at)
        assert deadline.met_at is not None
        deadline.status = (
            DeadlineStatus.MET if deadline.met_at < deadline.due_at else DeadlineStatus.MISSED
        )
        self.record(
            CaseEventKind.DEADLINE_REJUDGED,
            data={
                **self._deadline_data(deadline),
                "old_due_date": old_due.isoformat(),
                "new_due_date": deadline.due_date.isoformat(),
                "old_status": old_status.value,
                "new_status": deadline.status.value,
                "old_met_at": old_met.isoformat() if old_met else None,
                "met_at": deadline.met_at.isoformat(),
                "reason": reason,
            },
            calendar_version=deadline.calendar_version,
        )

    def meet(self, deadline: Deadline) -> None:
        """Met when done before `due_at` (on or before the end of the due date); else missed."""
        deadline.met_at = self.at
        deadline.met_seq = self.transition_seq
        on_time = self.at < deadline.due_at
        deadline.status = DeadlineStatus.MET if on_time else DeadlineStatus.MISSED
        deadline.next_alert_at = None
        deadline.next_alert_level = None
        self.record(
            CaseEventKind.DEADLINE_MET if on_time else CaseEventKind.DEADLINE_MISSED,
            data={**self._deadline_data(deadline), "met_at": self.at.isoformat()},
            calendar_version=deadline.calendar_version,
        )

    def cancel_all(self) -> None:
        """Cancel the open deadlines of a closed case. The LADO track runs beside child
        protection, not instead of it (DESIGN 2.2): while it is open, its deadlines stand."""
        case = self.case
        lado_open = case.allegation_state not in (None, AllegationState.CLOSED)
        for deadline in case.open_deadlines():
            if lado_open and _is_allegation_deadline(self.policy, deadline.kind):
                continue
            deadline.status = DeadlineStatus.CANCELLED
            deadline.next_alert_at = None
            deadline.next_alert_level = None
            self.record(
                CaseEventKind.DEADLINE_CANCELLED,
                data=self._deadline_data(deadline),
                calendar_version=deadline.calendar_version,
            )


def _is_allegation_deadline(policy: Policy, kind: DeadlineKind) -> bool:
    """A deadline of the allegation track: met by an event of the `allegation` machine."""
    return any(
        MACHINE_OF_EVENT[event] is MachineName.ALLEGATION for event in policy.rule(kind).met_by
    )


# -- raise_concern -------------------------------------------------------------------------------


def raise_concern(
    facts: CaseFacts,
    *,
    at: datetime,
    actor: str,
    region: Region,
    policy: Policy,
    calendar: WorkingDayCalendar,
    reference: str,
    recorded_at: datetime | None = None,
) -> Case:
    """Open a case in `concern`: triage, the deadlines triage starts, and the `raise_concern`
    transition event carrying the facts (seed 004 s2.1, s2.2 via `states.triage`). `at` is when
    the concern was received; `recorded_at` (default `at`) when it was written down."""
    at = to_utc(at)
    recorded = to_utc(recorded_at) if recorded_at is not None else at
    if at > recorded:
        raise InvalidStep(_future(Event.RAISE_CONCERN, at, recorded))
    result = triage(facts, on=_london_day(at))
    case = Case(
        reference=reference,
        region=region,
        policy_name=policy.name,
        state=CaseState.CONCERN,
        facts=facts,
        created_at=at,
        required_actions=tuple(result.required_actions),
        do_not_inform_family=result.do_not_inform_family,
        restricted=result.allegations_track,
    )
    effects = _Effects(
        case, at=at, recorded_at=recorded, actor=actor, calendar=calendar, policy=policy
    )
    raised = effects.record(
        CaseEventKind.TRANSITION,
        event=Event.RAISE_CONCERN.value,
        machine=MachineName.CHILD_PROTECTION.value,
        from_state=None,
        to_state=CaseState.CONCERN.value,
        data={
            "facts": facts.model_dump(mode="json"),
            "reference": reference,
            "region": region.value,
            "policy": policy.name,
        },
        calendar_version=calendar.version,
    )
    case.machine_last[MachineName.CHILD_PROTECTION.value] = MachineMark(
        at, Event.RAISE_CONCERN.value, raised.seq
    )
    for kind in result.starts:
        if case.open_deadline(kind) is None:
            effects.start(kind, at)
    return case


# -- the order rule ------------------------------------------------------------------------------


def _london_day(instant: datetime) -> Any:
    return instant.astimezone(LONDON).date()


def _shown(instant: datetime) -> str:
    """A London time as a practitioner reads it: "2 March 2026 16:00"."""
    local = instant.astimezone(LONDON)
    return f"{local.day} {local:%B %Y %H:%M}"


def _future(ev: Event, at: datetime, recorded: datetime) -> str:
    return (
        f"{ev.value} is dated {_shown(at)}, which is in the future: it is being recorded at "
        f"{_shown(recorded)}"
    )


def _check_when(
    case: Case, ev: Event, machine: MachineName, at: datetime, recorded: datetime
) -> None:
    """DESIGN 2.3 and 6: never in the future, never before the concern was raised, and (except
    for case-level events) never before the previous event of the same machine."""
    if at > recorded:
        raise InvalidStep(_future(ev, at, recorded))
    if at < case.created_at:
        raise InvalidStep(
            f"{ev.value} is dated {_shown(at)}, before the concern was raised "
            f"({_shown(case.created_at)}): nothing on a case happens before its concern"
        )
    if ev in CASE_LEVEL_EVENTS:
        return
    last = case.machine_last.get(machine.value)
    if last is not None and at < last.at:
        track = "child protection" if machine is MachineName.CHILD_PROTECTION else "allegation"
        raise InvalidStep(
            f"{ev.value} dated {_shown(at)} would come before {last.event} ({_shown(last.at)}), "
            f"the case's latest {track} event: date it at or after that, or correct "
            f"{last.event}'s date first"
        )


# -- fire ----------------------------------------------------------------------------------------


def _json_data(model: BaseModel) -> dict[str, Any]:
    dumped: dict[str, Any] = model.model_dump(mode="json", exclude_unset=True)
    return dumped


def _guard_context(case: Case, data: BaseModel | None, actor: str | None) -> GuardContext:
    return GuardContext(
        facts=case.facts,
        data=data,
        open_deadlines=frozenset(d.kind for d in case.open_deadlines()),
        strategy_discussions=tuple(h.record for h in case.strategy_discussions),
        section_47_started=case.section_47_started_at is not None,
        child_protection_open=case.child_protection_open,
        allegation_open=case.allegation_open,
        actor=actor,
        assessment_submitted_by=case.assessment.by if case.assessment else None,
    )


def _current_state(case: Case, machine_name: MachineName) -> str:
    if machine_name is MachineName.CHILD_PROTECTION:
        return case.state.value
    return case.allegation_state.value if case.allegation_state else NO_ALLEGATION


def refusal_now(case: Case, event: Event, *, actor: str | None = None) -> str | None:
    """Ask the machines whether `event` would be refused on `case` as it now stands, whatever the
    event's own data: the reason (a guard's, or the state's when nothing leaves it with `event`),
    or None when it may be recorded (the guards that read its data, the order rule of its date and
    the checks of a correction are judged by `fire` when it is). Reads the case; changes nothing.
    """
    machine_name = MachineName(str(MACHINE_OF_EVENT[event]))
    current = _current_state(case, machine_name)
    return refusal_before_data(event, current, _guard_context(case, None, actor))


def _as_event(event: Event | str) -> Event:
    if isinstance(event, Event):
        return event
    try:
        return Event(event)
    except ValueError:
        known = ", ".join(e.value for e in Event if e is not Event.RAISE_CONCERN)
        raise TransitionRefused(f"unknown event {event!r}: expected one of {known}") from None


def fire(
    case: Case,
    event: Event | str,
    *,
    at: datetime,
    actor: str,
    data: Mapping[str, Any] | None = None,
    calendar: WorkingDayCalendar,
    policy: Policy,
    recorded_at: datetime | None = None,
) -> FireResult:
    """Fire one event on the case (DESIGN 2); see the module docstring. `at` is when it
    happened, `recorded_at` (default `at`) when it is being written down.

    Raises `states.InvalidEventData` for bad data, `InvalidStep` for a date the order rule
    refuses, `TransitionRefused` when the machines refuse; the case is unchanged in each of these.
    """
    ev = _as_event(event)
    if ev is Event.RAISE_CONCERN:
        raise InvalidStep("raise_concern opens a case; it cannot be fired on an existing case")
    at = to_utc(at)
    recorded = to_utc(recorded_at) if recorded_at is not None else at
    raw: Mapping[str, Any] = data or {}
    parsed = parse_event_data(ev, raw)
    machine_name = MachineName(str(MACHINE_OF_EVENT[ev]))
    _check_when(case, ev, machine_name, at, recorded)

    current = _current_state(case, machine_name)
    dest = _trigger(machine_name, ev, current, _guard_context(case, parsed, actor))
    correction = _plan_correction(case, parsed) if isinstance(parsed, CorrectDateData) else None
    if isinstance(parsed, AddNoteData) and parsed.amends is not None:
        _check_amended_note(case, parsed.amends)

    # -- the step is allowed: apply its effects
    effects = _Effects(
        case, at=at, recorded_at=recorded, actor=actor, calendar=calendar, policy=policy
    )
    if machine_name is MachineName.CHILD_PROTECTION:
        case.state = CaseState(dest)
    else:
        case.allegation_state = None if dest == NO_ALLEGATION else AllegationState(dest)
    transition = effects.record(
        CaseEventKind.TRANSITION,
        event=ev.value,
        machine=machine_name.value,
        from_state=None if current == NO_ALLEGATION else current,
        to_state=None if dest == NO_ALLEGATION else dest,
        data=_json_data(parsed) if correction is None else correction.data(policy, calendar),
        calendar_version=calendar.version,
        corrects=None if correction is None else correction.target.seq,
    )
    if ev not in CASE_LEVEL_EVENTS:
        last = case.machine_last.get(machine_name.value)
        if last is None or at >= last.at:
            case.machine_last[machine_name.value] = MachineMark(at, ev.value, transition.seq)
    _apply_facts(case, ev, parsed, effects)
    if ev is Event.RECORD_FACTS:
        _retriage(case, effects)
    _apply_deadlines(case, ev, parsed, effects)
    if correction is not None:
        _apply_correction(case, correction, effects)
    return FireResult(case.state, case.allegation_state, tuple(effects.events))


def _apply_facts(case: Case, ev: Event, parsed: BaseModel, effects: _Effects) -> None:
    at, seq = effects.at, effects.transition_seq
    if ev is Event.RECORD_FACTS:
        case.facts = case.facts.merged(parsed)
    elif ev is Event.HOLD_STRATEGY_DISCUSSION and isinstance(parsed, StrategyDiscussion):
        case.strategy_discussions.append(HeldStrategyDiscussion(at=at, record=parsed, seq=seq))
        update: dict[str, Any] = {}
        if parsed.leave_home_decision is not None:
            update["leave_home_decision"] = parsed.leave_home_decision
        if parsed.working_agreement is not None:
            update["working_agreement"] = parsed.working_agreement
        if update:
            case.facts = case.facts.merged(RecordFactsData(**update))
    elif ev is Event.START_SECTION_47:
        case.section_47_started_at = at
        if case.strategy_discussions:
            latest = case.strategy_discussions[-1]
            case.strategy_discussions[-1] = dataclasses.replace(latest, started_section_47=True)
    elif ev in (Event.REFER, Event.ESCALATE):
        case.referral_at = at
        case.referral_seq = seq
    elif ev is Event.CLOSE and isinstance(parsed, CloseData):
        case.outcome = {**(case.outcome or {}), **_json_data(parsed)}
    elif ev is Event.RECORD_ALLEGATION_OUTCOME and isinstance(parsed, AllegationOutcomeData):
        case.outcome = {**(case.outcome or {}), "allegation_outcome": _json_data(parsed)}
    elif ev is Event.COMPLETE_ASSESSMENT and isinstance(parsed, CompleteAssessmentData):
        assert seq is not None
        case.assessment = AssessmentSubmission(
            by=effects.actor, at=at, seq=seq, factors=tuple(parsed.factors)
        )
    elif ev in (Event.AUTHORISE_ASSESSMENT, Event.RETURN_ASSESSMENT):
        case.assessment = None
    elif ev is Event.ALLOCATE and isinstance(parsed, AllocateData):
        if parsed.owner_id is None:
            raise InvalidStep("allocate: the service names the owner's user id")
        case.owner_id = parsed.owner_id
        case.unallocated_since = None
    elif ev is Event.TRANSFER and isinstance(parsed, TransferData):
        if parsed.team_id is not None:
            case.team_id = parsed.team_id
        case.owner_id = None
        case.unallocated_since = at


def _check_amended_note(case: Case, amends: int) -> None:
    _require_history(case, "amend a note")
    for e in case.history:
        if e.seq == amends and e.is_transition and e.event == Event.ADD_NOTE.value:
            return
    raise TransitionRefused(
        f"there is no note {amends} on this case to amend", event=Event.ADD_NOTE.value
    )


def _require_history(case: Case, what: str) -> None:
    if not case.history or case.history[0].seq != 1:
        raise InvalidStep(f"to {what}, load the case with its whole log")


def _triage_start_applies(case: Case, kind: DeadlineKind) -> bool:
    """Whether a deadline triage names may still start after the concern was raised: never one
    the case has had (open, met, missed or cancelled); the immediate referral only while the
    case is still a concern (a referral made since has met the need); the LADO referral only
    while the case has no allegation track (a referral to the LADO made since has met it)."""
    if any(d.kind is kind for d in case.deadlines):
        return False
    if kind is DeadlineKind.IMMEDIATE_REFERRAL:
        return case.state is CaseState.CONCERN
    if kind is DeadlineKind.LADO_REFERRAL:
        return case.allegation_state is None
    return case.state is not CaseState.CLOSED


def _retriage(case: Case, effects: _Effects) -> None:
    """After `record_facts`: triage the merged facts again (seed 004 s2.1, s2.2 via
    `states.triage`). Required actions only grow (one raised stays, as the facts that raised it
    are in the log); `do_not_inform_family` and `restricted` are set when newly applicable and
    never cleared here; a deadline triage now starts that the case has not had starts at the
    event. The `record_facts` transition carries the facts, so replay reproduces all of it, and
    each deadline started is logged (`deadline_started`, with `started_by: "triage"`)."""
    result = triage(case.facts, on=_london_day(effects.at))
    raised = set(case.required_actions) | set(result.required_actions)
    case.required_actions = tuple(a for a in RequiredAction if a in raised)
    case.do_not_inform_family = case.do_not_inform_family or result.do_not_inform_family
    case.restricted = case.restricted or result.allegations_track
    for kind in result.starts:
        if _triage_start_applies(case, kind):
            effects.start(kind, effects.at, started_by="triage")


def _section_47_discussion(case: Case) -> HeldStrategyDiscussion | None:
    for held in reversed(case.strategy_discussions):
        if held.started_section_47:
            return held
    return None


def _anchor(case: Case, kind: DeadlineKind, effects: _Effects) -> tuple[datetime, int | None]:
    """Where a deadline is counted from, and the log number of that event (DESIGN 3.1)."""
    if kind is DeadlineKind.SINGLE_ASSESSMENT and case.referral_at is not None:
        return case.referral_at, case.referral_seq
    if kind is DeadlineKind.INITIAL_CHILD_PROTECTION_CONFERENCE:
        held = _section_47_discussion(case)
        if held is not None:
            return held.at, held.seq
    return effects.at, effects.transition_seq


def _start_applies(ev: Event, kind: DeadlineKind, parsed: BaseModel) -> bool:
    """Conditions on a start named in the policy table that depend on the event's data."""
    if ev is Event.HOLD_CONFERENCE:
        return (
            isinstance(parsed, HoldConferenceData)
            and parsed.outcome is ConferenceOutcome.CHILD_PROTECTION_PLAN
        )
    if kind is DeadlineKind.WORKING_AGREEMENT_REVIEW:
        return getattr(parsed, "working_agreement", None) is not None
    return True


def _urgent(case: Case, ev: Event, parsed: BaseModel) -> bool:
    """`convene_strategy_discussion` is urgent when its data says so, and whenever triage
    required an urgent strategy discussion (seed 004 s2.2: "must be held on the same day"; a
    convening marked not urgent does not put it off)."""
    if ev is not Event.CONVENE_STRATEGY_DISCUSSION:
        return False
    marked = isinstance(parsed, ConveneStrategyDiscussionData) and parsed.urgent
    return marked or RequiredAction.URGENT_STRATEGY_DISCUSSION in case.required_actions


def _apply_deadlines(case: Case, ev: Event, parsed: BaseModel, effects: _Effects) -> None:
    policy = effects.policy
    for rule in policy.met_by(ev):
        deadline = case.open_deadline(rule.kind)
        if deadline is not None:
            effects.meet(deadline)
    if case.state is CaseState.CLOSED:
        effects.cancel_all()
        return
    for rule in policy.started_by(ev):
        kind = rule.kind
        if not _start_applies(ev, kind, parsed):
            continue
        anchor, anchor_seq = _anchor(case, kind, effects)
        running = case.open_deadline(kind)
        if running is None:
            effects.start(kind, anchor, anchor_seq=anchor_seq, urgent=_urgent(case, ev, parsed))
        elif kind is DeadlineKind.WORKING_AGREEMENT_REVIEW:
            effects.reanchor(running, anchor, anchor_seq=anchor_seq)


# -- corrections ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Correction:
    """A `correct_date` found allowed: the event (as the log now reads) and its new time."""

    target: CaseEvent
    new_at: datetime
    reason: str

    def data(self, policy: Policy, calendar: WorkingDayCalendar) -> dict[str, Any]:
        """The log entry's data: what was asked for, plus both times and the corrected event's
        lateness at its corrected time (read back by `effective_history`)."""
        return {
            "event_id": self.target.seq,
            "occurred_at": self.new_at.isoformat(),
            "reason": self.reason,
            "event": self.target.event,
            "old_occurred_at": self.target.at.isoformat(),
            "new_occurred_at": self.new_at.isoformat(),
            "late": policy.recorded_late(self.new_at, self.target.recorded_at, calendar),
        }


def _plan_correction(case: Case, parsed: CorrectDateData) -> _Correction:
    """Check a `correct_date` against the log (DESIGN 2.3): the event exists and is not itself a
    correction; its new time is not after it was recorded, not before the concern (or, for the
    concern itself, not after anything else), and keeps the order of its own machine."""
    _require_history(case, "correct a date")
    assert parsed.event_id is not None
    assert parsed.occurred_at is not None
    assert parsed.reason is not None
    view = [e for e in effective_history(case.history) if e.is_transition]
    target = next((e for e in view if e.seq == parsed.event_id), None)
    if target is None:
        raise TransitionRefused(
            f"there is no event {parsed.event_id} on this case to correct",
            event=Event.CORRECT_DATE.value,
        )
    name = str(target.event)
    if target.event == Event.CORRECT_DATE.value:
        raise TransitionRefused(
            "a correction cannot itself be corrected: correct the original event again",
            event=Event.CORRECT_DATE.value,
        )
    new_at = to_utc(parsed.occurred_at)
    if new_at > target.recorded_at:
        raise InvalidStep(
            f"{name} was recorded at {_shown(target.recorded_at)}, so it cannot have happened "
            f"later, at {_shown(new_at)}"
        )
    others = [e for e in view if e.seq != target.seq]
    if target.event == Event.RAISE_CONCERN.value:
        later = [e for e in others if e.at < new_at]
        if later:
            first = min(later, key=lambda e: (e.at, e.seq))
            raise InvalidStep(
                f"the concern cannot be dated {_shown(new_at)}, after {first.event} "
                f"({_shown(first.at)}): nothing on a case happens before its concern"
            )
        return _Correction(target, new_at, parsed.reason)
    concern = view[0]
    if new_at < concern.at:
        raise InvalidStep(
            f"{name} cannot be dated {_shown(new_at)}, before the concern was raised "
            f"({_shown(concern.at)})"
        )
    if Event(name) not in CASE_LEVEL_EVENTS:
        same = [
            e
            for e in others
            if e.machine == target.machine and Event(str(e.event)) not in CASE_LEVEL_EVENTS
        ]
        before = [e for e in same if e.seq < target.seq]
        after = [e for e in same if e.seq > target.seq]
        if before and new_at < before[-1].at:
            raise InvalidStep(
                f"{name} cannot be dated {_shown(new_at)}, before {before[-1].event} "
                f"({_shown(before[-1].at)}), which came before it"
            )
        if after and new_at > after[0].at:
            raise InvalidStep(
                f"{name} cannot be dated {_shown(new_at)}, after {after[0].event} "
                f"({_shown(after[0].at)}), which came after it"
            )
    return _Correction(target, new_at, parsed.reason)


def _apply_correction(case: Case, correction: _Correction, effects: _Effects) -> None:
    """Re-date the corrected event's effects: the case's anchors and every deadline counted
    from it or met by it (an open one moves, a met or missed one is judged again)."""
    seq, new_at, old_at = correction.target.seq, correction.new_at, correction.target.at
    event = correction.target.event
    if event == Event.RAISE_CONCERN.value:
        case.created_at = new_at
    if case.referral_seq == seq:
        case.referral_at = new_at
    if event == Event.START_SECTION_47.value:
        case.section_47_started_at = new_at
    case.strategy_discussions = [
        dataclasses.replace(h, at=new_at) if h.seq == seq else h for h in case.strategy_discussions
    ]
    if case.assessment is not None and case.assessment.seq == seq:
        case.assessment = dataclasses.replace(case.assessment, at=new_at)
    if event == Event.TRANSFER.value and case.unallocated_since == old_at:
        case.unallocated_since = new_at
    _remark_machines(case)
    reason = f"date corrected: {correction.reason}"
    for deadline in case.deadlines:
        anchored, met = deadline.anchor_seq == seq, deadline.met_seq == seq
        if not (anchored or met) or deadline.status is DeadlineStatus.CANCELLED:
            continue
        if deadline.is_open:
            effects.reanchor(deadline, new_at, anchor_seq=seq, reason=reason)
        else:
            effects.rejudge(
                deadline,
                anchor=new_at if anchored else None,
                met_at=new_at if met else None,
                reason=reason,
            )


def _remark_machines(case: Case) -> None:
    """Each machine's latest event, as the log now reads."""
    marks: dict[str, MachineMark] = {}
    for e in effective_history(case.history):
        if not e.is_transition or e.machine is None:
            continue
        if Event(str(e.event)) in CASE_LEVEL_EVENTS:
            continue
        mark = marks.get(e.machine)
        if mark is None or (e.at, e.seq) >= (mark.at, mark.seq):
            marks[e.machine] = MachineMark(e.at, str(e.event), e.seq)
    case.machine_last = marks


# -- recalculation -------------------------------------------------------------------------------


def recalculate(
    case: Case,
    calendar: WorkingDayCalendar,
    *,
    at: datetime,
    actor: str,
    policy: Policy,
) -> list[CaseEvent]:
    """Recompute every open deadline from its anchor with `calendar` (an administrator added a
    one-off bank holiday, DESIGN 3.2). A moved deadline records `deadline_moved` with both due
    dates and both calendar versions; met, missed and cancelled deadlines never change."""
    at = to_utc(at)
    effects = _Effects(case, at=at, recorded_at=at, actor=actor, calendar=calendar, policy=policy)
    for deadline in case.open_deadlines():
        rule = policy.rule(deadline.kind)
        due = _compute_due(
            rule,
            deadline.anchor_at,
            calendar,
            urgent=deadline.urgent,
            facts=case.facts,
            receipt=policy.receipt,
        )
        old_date, old_version = deadline.due_date, deadline.calendar_version
        deadline.calendar_version = calendar.version
        if (due.due_date, due.due_at) == (old_date, deadline.due_at):
            continue
        deadline.due_date, deadline.due_at = due.due_date, due.due_at
        reschedule_alerts(deadline, calendar, policy)
        effects.record(
            CaseEventKind.DEADLINE_MOVED,
            data={
                **effects._deadline_data(deadline),
                "old_due_date": old_date.isoformat(),
                "new_due_date": due.due_date.isoformat(),
                "old_calendar_version": old_version,
                "new_calendar_version": calendar.version,
                "reason": "calendar changed",
            },
            calendar_version=calendar.version,
        )
    return effects.events


# -- replay --------------------------------------------------------------------------------------


def replay(
    events: Sequence[CaseEvent],
    calendar_for_version: Callable[[str], WorkingDayCalendar],
    policy: Policy,
) -> Case:
    """Rebuild a case from its log's `transition` events alone (the first is `raise_concern`);
    deadline events are derived again. Each event is judged with the calendar it was fired with,
    at the times it was recorded with (corrections are events too, applied where they stand),
    and keeps its number in the log (so a correction names the same event)."""
    transitions = [e for e in events if e.kind is CaseEventKind.TRANSITION]
    if not transitions or transitions[0].event != Event.RAISE_CONCERN.value:
        raise InvalidStep("a case's log starts with its raise_concern event")
    first = transitions[0]

    def calendar_of(event: CaseEvent) -> WorkingDayCalendar:
        if event.calendar_version is None:
            raise InvalidStep(f"event {event.seq} ({event.event}) names no calendar version")
        return calendar_for_version(event.calendar_version)

    case = raise_concern(
        CaseFacts.model_validate(first.data["facts"]),
        at=first.at,
        actor=first.actor,
        region=Region(first.data["region"]),
        policy=policy,
        calendar=calendar_of(first),
        reference=str(first.data["reference"]),
        recorded_at=first.recorded_at,
    )
    for event in transitions[1:]:
        ev = Event(str(event.event))
        fields = EVENT_DATA[ev].model_fields
        case.last_seq = event.seq - 1
        fire(
            case,
            ev,
            at=event.at,
            actor=event.actor,
            data={k: v for k, v in event.data.items() if k in fields},
            calendar=calendar_of(event),
            policy=policy,
            recorded_at=event.recorded_at,
        )
    case.pending_events = []
    return case
