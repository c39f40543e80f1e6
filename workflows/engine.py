"""Firing events on a case and the deadline engine: pure, no clock, no I/O.

- `raise_concern` opens a case: triage (`states.triage`) sets the required actions, the
  no-tipping-off restriction and the deadlines it names; a `raise_concern` transition event
  carries the facts so that the log alone replays the case.
- `fire` validates the event data, refuses a step timestamped before the case's last event
  (`InvalidStep`), runs the event through ONE shared `transitions` machine per machine type with a
  light model (STACK.md: ~26 us a trigger; the stored state is attached per call, never
  overwritten), turns a failed guard or a wrong-state trigger into `TransitionRefused(reason)`, and
  on success applies the effects: state, facts, strategy discussions, and the deadline effects read
  from the policy table (`TimescaleRule.started_by` / `met_by`; no day count lives here, STYLE
  rule 2). Every effect appends a `CaseEvent`.
- `recalculate` recomputes open deadlines after a calendar change; met, missed and cancelled ones
  are history and never change (DESIGN 3.2, 5).
- `replay` rebuilds a case from its transition events.

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

from calendars import Due, Region, WorkingDayCalendar, end_of_london_day, to_utc
from states import (
    MACHINE_OF_EVENT,
    NO_ALLEGATION,
    AllegationOutcomeData,
    AllegationState,
    CaseFacts,
    CaseState,
    CloseData,
    ConferenceOutcome,
    ConveneStrategyDiscussionData,
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
    build_machine,
    parse_event_data,
    triage,
)
from workflows.alerting import reschedule_alerts, schedule_alerts
from workflows.domain import (
    Case,
    CaseEvent,
    CaseEventKind,
    Deadline,
    DeadlineStatus,
    HeldStrategyDiscussion,
)
from workflows.errors import InvalidStep, TransitionRefused

__all__ = ["FireResult", "fire", "raise_concern", "recalculate", "replay"]


@dataclass(frozen=True)
class FireResult:
    """The states after the event and the events it appended (also in `case.pending_events`)."""

    state: CaseState
    allegation_state: AllegationState | None
    events: tuple[CaseEvent, ...]


# -- the shared machines -------------------------------------------------------------------------


@cache
def _machine(name: MachineName) -> Any:
    """One shared machine per machine type, built once (STACK.md: a shared machine firing
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
        actor: str,
        calendar: WorkingDayCalendar,
        policy: Policy,
    ) -> None:
        self.case = case
        self.at = at
        self.actor = actor
        self.calendar = calendar
        self.policy = policy
        self.events: list[CaseEvent] = []

    def record(self, kind: CaseEventKind, **fields: Any) -> CaseEvent:
        case = self.case
        case.last_seq += 1
        event = CaseEvent(seq=case.last_seq, at=self.at, actor=self.actor, kind=kind, **fields)
        case.pending_events.append(event)
        case.history.append(event)
        case.last_event_at = self.at
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

    def reanchor(self, deadline: Deadline, anchor: datetime) -> None:
        """Move an open deadline to a new anchor (a new working agreement)."""
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
                "reason": "re-anchored",
            },
            calendar_version=self.calendar.version,
        )

    def meet(self, deadline: Deadline) -> None:
        """Met when done before `due_at` (on or before the end of the due date); else missed."""
        deadline.met_at = self.at
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
) -> Case:
    """Open a case in `concern`: triage, the deadlines triage starts, and the `raise_concern`
    transition event carrying the facts (seed 004 s2.1, s2.2 via `states.triage`)."""
    at = to_utc(at)
    result = triage(facts)
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
    effects = _Effects(case, at=at, actor=actor, calendar=calendar, policy=policy)
    effects.record(
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
    for kind in result.starts:
        if case.open_deadline(kind) is None:
            effects.start(kind, at)
    return case


# -- fire ----------------------------------------------------------------------------------------


def _json_data(model: BaseModel) -> dict[str, Any]:
    dumped: dict[str, Any] = model.model_dump(mode="json", exclude_unset=True)
    return dumped


def _guard_context(case: Case, data: BaseModel) -> GuardContext:
    return GuardContext(
        facts=case.facts,
        data=data,
        open_deadlines=frozenset(d.kind for d in case.open_deadlines()),
        strategy_discussions=tuple(h.record for h in case.strategy_discussions),
        section_47_started=case.section_47_started_at is not None,
    )


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
) -> FireResult:
    """Fire one event on the case (DESIGN 2); see the module docstring.

    Raises `states.InvalidEventData` for bad data, `InvalidStep` for a step out of time order,
    `TransitionRefused` when the machines refuse; the case is unchanged in each of these.
    """
    ev = _as_event(event)
    if ev is Event.RAISE_CONCERN:
        raise InvalidStep("raise_concern opens a case; it cannot be fired on an existing case")
    at = to_utc(at)
    raw: Mapping[str, Any] = data or {}
    parsed = parse_event_data(ev, raw)
    if case.last_event_at is not None and at < case.last_event_at:
        raise InvalidStep(
            f"{ev.value} at {at.isoformat()} is before the case's last event at "
            f"{case.last_event_at.isoformat()}"
        )

    machine_name = MachineName(str(MACHINE_OF_EVENT[ev]))
    if machine_name is MachineName.CHILD_PROTECTION:
        current = case.state.value
    else:
        current = case.allegation_state.value if case.allegation_state else NO_ALLEGATION
    dest = _trigger(machine_name, ev, current, _guard_context(case, parsed))

    # -- the step is allowed: apply its effects
    effects = _Effects(case, at=at, actor=actor, calendar=calendar, policy=policy)
    if machine_name is MachineName.CHILD_PROTECTION:
        case.state = CaseState(dest)
    else:
        case.allegation_state = None if dest == NO_ALLEGATION else AllegationState(dest)
    effects.record(
        CaseEventKind.TRANSITION,
        event=ev.value,
        machine=machine_name.value,
        from_state=None if current == NO_ALLEGATION else current,
        to_state=None if dest == NO_ALLEGATION else dest,
        data=_json_data(parsed),
        calendar_version=calendar.version,
    )
    _apply_facts(case, ev, parsed, at)
    if ev is Event.RECORD_FACTS:
        _retriage(case, effects)
    _apply_deadlines(case, ev, parsed, raw, effects)
    return FireResult(case.state, case.allegation_state, tuple(effects.events))


def _apply_facts(case: Case, ev: Event, parsed: BaseModel, at: datetime) -> None:
    if ev is Event.RECORD_FACTS:
        case.facts = case.facts.merged(parsed)
    elif ev is Event.HOLD_STRATEGY_DISCUSSION and isinstance(parsed, StrategyDiscussion):
        case.strategy_discussions.append(HeldStrategyDiscussion(at=at, record=parsed))
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
    elif ev is Event.CLOSE and isinstance(parsed, CloseData):
        case.outcome = {**(case.outcome or {}), **_json_data(parsed)}
    elif ev is Event.RECORD_ALLEGATION_OUTCOME and isinstance(parsed, AllegationOutcomeData):
        case.outcome = {**(case.outcome or {}), "allegation_outcome": _json_data(parsed)}


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
    result = triage(case.facts)
    raised = set(case.required_actions) | set(result.required_actions)
    case.required_actions = tuple(a for a in RequiredAction if a in raised)
    case.do_not_inform_family = case.do_not_inform_family or result.do_not_inform_family
    case.restricted = case.restricted or result.allegations_track
    for kind in result.starts:
        if _triage_start_applies(case, kind):
            effects.start(kind, effects.at, started_by="triage")


def _section_47_discussion_at(case: Case, fallback: datetime) -> datetime:
    for held in reversed(case.strategy_discussions):
        if held.started_section_47:
            return held.at
    return fallback


def _anchor(case: Case, kind: DeadlineKind, at: datetime) -> datetime:
    if kind is DeadlineKind.SINGLE_ASSESSMENT:
        return case.referral_at or at
    if kind is DeadlineKind.INITIAL_CHILD_PROTECTION_CONFERENCE:
        return _section_47_discussion_at(case, at)
    return at


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


def _urgent(case: Case, ev: Event, parsed: BaseModel, raw: Mapping[str, Any]) -> bool:
    """`convene_strategy_discussion` is urgent when its data says so; when the data is silent, when
    triage required an urgent strategy discussion (seed 004 s2.2)."""
    if ev is not Event.CONVENE_STRATEGY_DISCUSSION:
        return False
    if isinstance(parsed, ConveneStrategyDiscussionData) and "urgent" in raw:
        return parsed.urgent
    return RequiredAction.URGENT_STRATEGY_DISCUSSION in case.required_actions


def _apply_deadlines(
    case: Case, ev: Event, parsed: BaseModel, raw: Mapping[str, Any], effects: _Effects
) -> None:
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
        anchor = _anchor(case, kind, effects.at)
        running = case.open_deadline(kind)
        if running is None:
            effects.start(kind, anchor, urgent=_urgent(case, ev, parsed, raw))
        elif kind is DeadlineKind.WORKING_AGREEMENT_REVIEW:
            effects.reanchor(running, anchor)


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
    effects = _Effects(case, at=at, actor=actor, calendar=calendar, policy=policy)
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
    deadline events are derived again. Each event is judged with the calendar it was fired with."""
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
    )
    for event in transitions[1:]:
        fire(
            case,
            str(event.event),
            at=event.at,
            actor=event.actor,
            data=event.data,
            calendar=calendar_of(event),
            policy=policy,
        )
    case.pending_events = []
    return case
