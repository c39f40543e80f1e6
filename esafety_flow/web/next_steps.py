"""What the case page says must happen next (issue 12 item 2): the "What happens next" panel and
which of the case page's actions are possible now.

- `judge_actions` asks the machines (`workflows.refusal_now`) about each action the tables allow
  from the case's states: possible now (offered as a form; the guards on the event's own data are
  judged when it is posted), or not possible yet, with the step that must come first.
- `what_next` lists the next steps: one for each open deadline (the events that meet it are the
  policy's `met_by`), most urgent first, overdue ones marked, with the due day (and the time, for a
  same-day or hourly deadline) and who owns it; then what triage required that no deadline
  covers yet, and a Section 47 enquiry a strategy discussion found the threshold met for. The
  most urgent step that an offered action meets names the primary action.

The words are in the content tables below, never in the template: `FIRST_STEPS` rewrites each
reason a guard on the case alone can give (`states.guards`) as the step that must come first,
`DEADLINE_STEPS` says what meets each deadline. Codes are shown through the `label` filter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from calendars import LONDON, end_of_london_day, london_date
from esafety_flow.web.common import rag
from states import (
    RISK_FACTOR_LEAVE_HOME_REASON,
    RISK_FACTOR_WORKING_AGREEMENT_REASON,
    CaseState,
    DeadlineKind,
    Event,
    Policy,
    RequiredAction,
)
from workflows import Case, Deadline, refusal_now

__all__ = [
    "DEADLINE_STEPS",
    "FIRST_STEPS",
    "STANDING_ACTIONS",
    "Blocked",
    "FirstStep",
    "NextSteps",
    "Step",
    "due_text",
    "first_step",
    "fix_href",
    "judge_actions",
    "what_next",
]


@dataclass(frozen=True)
class FirstStep:
    """What must happen before an action is possible, as a sentence that starts "first ...", and
    where on the case it is done (an address under `/cases/{id}/`, or an anchor of the page)."""

    text: str
    fix: str | None = None

    def href(self, case_id: int | None) -> str | None:
        return fix_href(self.fix, case_id)


def fix_href(fix: str | None, case_id: int | None) -> str | None:
    """The link to where a step is done: an anchor of the case page, or a page of the case."""
    if fix is None or fix.startswith("#"):
        return fix
    return f"/cases/{case_id}/{fix}"


FIRST_STEPS: Mapping[str, FirstStep] = {
    # section_47_threshold_met
    "no strategy discussion has been held: hold one before starting a section 47 enquiry": (
        FirstStep("first hold a strategy discussion", "#action-hold_strategy_discussion")
    ),
    (
        "the latest strategy discussion did not find the section 47 threshold met: "
        "record section_47_threshold_met at a strategy discussion"
    ): FirstStep(
        "first hold a strategy discussion that finds the Section 47 threshold met",
        "#action-hold_strategy_discussion",
    ),
    # risk_factor_gate (DESIGN 4.4)
    RISK_FACTOR_LEAVE_HOME_REASON: FirstStep(
        "first record whether the alleged abuser leaves the home", "facts/leave-home"
    ),
    RISK_FACTOR_WORKING_AGREEMENT_REASON: FirstStep(
        "first record a written working agreement with a review date, as the alleged abuser "
        "stays in the home",
        "facts/working-agreement",
    ),
    # single_assessment_open, single_assessment_not_open
    "no single assessment is running: there is no open single_assessment deadline": FirstStep(
        "first start a single assessment"
    ),
    "a single assessment is still running": FirstStep("first complete the single assessment"),
    # position_of_trust
    (
        "the LADO track is for an alleged abuser who works or volunteers with children or is "
        "a foster carer: record alleged_abuser.position_of_trust first"
    ): FirstStep(
        "first record that the alleged abuser works or volunteers with children, or is a "
        "foster carer",
        "facts/alleged-abuser",
    ),
    # case_open
    "the case is closed": FirstStep("not possible: the case is closed"),
    # assessment_not_submitted, assessment_awaiting_authorisation, not_own_assessment
    (
        "the single assessment is already awaiting a manager's authorisation: it can be "
        "submitted again once it is returned"
    ): FirstStep(
        "first a manager authorises or returns the single assessment already submitted", "#work"
    ),
    "no single assessment is awaiting authorisation: complete_assessment submits it": FirstStep(
        "first submit the single assessment for authorisation", "#action-complete_assessment"
    ),
    "you completed this assessment: another manager must authorise it": FirstStep(
        "another manager must authorise it, as you completed it"
    ),
}
"""Each reason a guard on the case alone gives (the guards outside `states.DATA_GUARDS`), as the
step that must come first. A test asks every such guard in many situations and finds each of its
reasons here."""

DEADLINE_STEPS: Mapping[DeadlineKind, str] = {
    DeadlineKind.IMMEDIATE_REFERRAL: "Refer the concern to {referral_to}",
    DeadlineKind.REFERRAL_DECISION: (
        "Decide the response to the referral: start a single assessment, convene a strategy "
        "discussion or step down to early help"
    ),
    DeadlineKind.STRATEGY_DISCUSSION: "Hold the strategy discussion",
    DeadlineKind.SINGLE_ASSESSMENT: (
        "Complete the single assessment and submit it for a manager's authorisation"
    ),
    DeadlineKind.INITIAL_CHILD_PROTECTION_CONFERENCE: (
        "Hold the initial child protection conference"
    ),
    DeadlineKind.CORE_GROUP: "Hold the first core group meeting",
    DeadlineKind.FIRST_REVIEW_CONFERENCE: "Hold the first review conference",
    DeadlineKind.REVIEW_CONFERENCE: "Hold the next review conference",
    DeadlineKind.LADO_REFERRAL: "Refer the allegation to the LADO",
    DeadlineKind.LADO_STRATEGY_MEETING: "Hold the LADO strategy meeting",
    DeadlineKind.ALLEGATION_RESOLUTION: "Resolve the allegation: record its outcome and close it",
    DeadlineKind.WORKING_AGREEMENT_REVIEW: (
        "Review the working agreement with the family and record it again"
    ),
}
"""What meets each deadline, in words ({referral_to}: who triage said the referral goes to)."""

_REFER_FIRST = FirstStep("first refer the concern", "#action-refer")
"""What comes first for a step the tables allow only once the concern is referred."""

_AWAITING_AUTHORISATION = "Authorise the single assessment or return it to the worker"

_LEAD_UP: Mapping[DeadlineKind, tuple[Event, ...]] = {
    DeadlineKind.SINGLE_ASSESSMENT: (Event.COMPLETE_ASSESSMENT,),
    DeadlineKind.ALLEGATION_RESOLUTION: (
        Event.HOLD_LADO_STRATEGY_MEETING,
        Event.RECORD_ALLEGATION_OUTCOME,
    ),
}
"""Steps on the way to the event that meets a deadline (`met_by`), offered with it."""

_OWN_PAGE_FIX: Mapping[DeadlineKind, tuple[str, str]] = {
    DeadlineKind.WORKING_AGREEMENT_REVIEW: (
        "Change the working agreement",
        "facts/working-agreement",
    ),
}
"""Deadlines met on a page of their own rather than by an action of the case page."""

STANDING_ACTIONS: tuple[RequiredAction, ...] = (
    RequiredAction.PRESERVE_EVIDENCE,
    RequiredAction.EARLY_HELP_ASSESSMENT,
    RequiredAction.PREVENT_REFERRAL,
)
"""What triage requires that no event of the case records as done: listed under the steps so that
it is not forgotten (the no-tipping-off restriction has its own warning at the top of the page)."""


@dataclass(frozen=True)
class Blocked:
    """An action the tables allow from here that the guards refuse now, and what comes first."""

    event: str
    first: FirstStep


@dataclass(frozen=True)
class Step:
    """One thing that must happen next. `deadline` is None for what triage required that no
    deadline covers yet. `actions` are the offered actions that do it (their forms are below);
    `blocked`, when none is offered, what must come first."""

    text: str
    owner: str
    deadline: Deadline | None = None
    due_text: str | None = None
    tag: Mapping[str, str] | None = None
    overdue: bool = False
    actions: tuple[str, ...] = ()
    blocked: Blocked | None = None
    fix: str | None = None
    fix_text: str | None = None

    def href(self, case_id: int | None) -> str | None:
        return fix_href(self.fix, case_id)


@dataclass(frozen=True)
class NextSteps:
    """The panel: whether the case is open, its steps in order, the primary action (the one that
    meets the most urgent open deadline), and what triage asked for that stands."""

    open: bool
    steps: tuple[Step, ...] = ()
    primary: str | None = None
    standing: tuple[RequiredAction, ...] = ()
    outcome: str | None = None
    lado_only: bool = False


def first_step(reason: str) -> FirstStep:
    """The step that must come first for a guard's `reason` (the reason itself, made a sentence,
    should a guard give one the table does not hold yet)."""
    found = FIRST_STEPS.get(reason)
    if found is not None:
        return found
    return FirstStep(reason)


def judge_actions(
    case: Case, candidates: Sequence[Event], *, actor: str | None
) -> tuple[list[Event], list[Blocked]]:
    """Split the case page's candidate actions into those possible now and those refused now
    (with what must come first); nothing is recorded."""
    offered: list[Event] = []
    blocked: list[Blocked] = []
    for event in candidates:
        reason = refusal_now(case, event, actor=actor)
        if reason is None:
            offered.append(event)
        else:
            blocked.append(Blocked(event.value, first_step(reason)))
    return offered, blocked


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _referral_to(case: Case) -> str:
    wanted = set(case.required_actions)
    who = [
        words
        for action, words in (
            (RequiredAction.REFER_POLICE, "the police"),
            (RequiredAction.REFER_CHILDRENS_SOCIAL_CARE, "children's social care"),
        )
        if action in wanted
    ]
    return _join(who) if who else "the police or children's social care"


def _day_text(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def due_text(deadline: Deadline) -> str:
    """The due day in London, with the time where the deadline has one: a same-day deadline is due
    before midnight, one counted in hours at its hour; others by the end of the day."""
    day = _day_text(deadline.due_date)
    if deadline.due_at != end_of_london_day(deadline.due_date):
        return f"{day}, before {deadline.due_at.astimezone(LONDON):%H:%M}"
    if london_date(deadline.anchor_at) == deadline.due_date:
        return f"{day}, before midnight"
    return day


def _owner_text(owner: str | None, team: str | None, *, restricted: bool) -> str:
    if owner is not None:
        return owner
    if restricted:
        return "Not allocated: a LADO allocates it"
    if team is not None:
        return f"Not allocated: the manager of {team} allocates it"
    return "Not allocated: a manager allocates it"


def _manager_text(team: str | None, *, restricted: bool) -> str:
    if restricted:
        return "A LADO or a manager named on the case"
    return f"A manager of {team}" if team is not None else "A manager of the case's team"


def _step_for(
    events: Sequence[Event],
    offered: Sequence[Event],
    case: Case,
    actor: str | None,
) -> tuple[tuple[str, ...], Blocked | None]:
    """The offered actions among `events`; when there is none, what must come first for the
    first of them the guards refuse (an event the state does not allow yet names nothing)."""
    doing = tuple(e.value for e in events if e in offered)
    if doing:
        return doing, None
    for event in events:
        reason = refusal_now(case, event, actor=actor)
        if reason is not None and reason in FIRST_STEPS:
            return (), Blocked(event.value, FIRST_STEPS[reason])
    return (), None


def what_next(
    case: Case,
    *,
    now: datetime,
    soon_until: date,
    policy: Policy,
    offered: Sequence[Event],
    owner: str | None,
    team: str | None,
    actor: str | None,
) -> NextSteps:
    """The "What happens next" panel of `case` at `now` (see the module docstring). `offered`
    are the actions possible now; `owner` and `team` the names of the case's worker and team."""
    restricted = case.restricted
    worker = _owner_text(owner, team, restricted=restricted)
    if not (case.child_protection_open or case.allegation_open):
        outcome = (case.outcome or {}).get("outcome")
        return NextSteps(open=False, outcome=str(outcome) if outcome else None)
    steps: list[Step] = []
    primary: str | None = None
    for deadline in sorted(case.open_deadlines(), key=lambda d: (d.due_at, d.kind.value)):
        kind = deadline.kind
        text = DEADLINE_STEPS[kind].format(referral_to=_referral_to(case))
        step_owner = worker
        events: tuple[Event, ...] = (*_LEAD_UP.get(kind, ()), *policy.rule(kind).met_by)
        fix_text, fix = _OWN_PAGE_FIX.get(kind, (None, None))
        if kind is DeadlineKind.SINGLE_ASSESSMENT and case.assessment is not None:
            # submitted: a manager authorises or returns it, in the work panel (DESIGN 2.5)
            text, step_owner, events = (
                _AWAITING_AUTHORISATION,
                _manager_text(team, restricted=restricted),
                (),
            )
            fix_text, fix = "See who does the work", "#work"
        if (
            kind is DeadlineKind.REFERRAL_DECISION
            and RequiredAction.URGENT_STRATEGY_DISCUSSION in case.required_actions
        ):
            # triage asked for an urgent strategy discussion: that is the response to offer first
            urgent = Event.CONVENE_STRATEGY_DISCUSSION
            events = (urgent, *(e for e in events if e is not urgent))
        if kind is DeadlineKind.STRATEGY_DISCUSSION and deadline.urgent:
            text += " (urgent: on the same day)"
        actions, blocked = _step_for(events, offered, case, actor)
        if primary is None and actions:
            primary = actions[0]
        steps.append(
            Step(
                text=text,
                owner=step_owner,
                deadline=deadline,
                due_text=due_text(deadline),
                tag=rag(deadline.due_at, deadline.due_date, now=now, soon_until=soon_until),
                overdue=now >= deadline.due_at,
                actions=actions,
                blocked=blocked,
                fix=fix,
                fix_text=fix_text,
            )
        )
    steps.extend(_required_steps(case, offered, worker, actor))
    standing = tuple(a for a in STANDING_ACTIONS if a in case.required_actions)
    return NextSteps(
        open=True,
        steps=tuple(steps),
        primary=primary,
        standing=standing,
        lado_only=not case.child_protection_open,
    )


def _required_steps(
    case: Case, offered: Sequence[Event], worker: str, actor: str | None
) -> list[Step]:
    """What triage required that has not happened and that no open deadline covers yet, and the
    Section 47 enquiry a strategy discussion found the threshold met for (its conference is
    counted from that discussion, DESIGN 3.1)."""
    required = set(case.required_actions)
    wanted: list[tuple[str, tuple[Event, ...]]] = []
    if (
        RequiredAction.IMMEDIATE_REFERRAL in required
        and case.state is CaseState.CONCERN
        and case.open_deadline(DeadlineKind.IMMEDIATE_REFERRAL) is None
    ):
        wanted.append((f"Refer the concern to {_referral_to(case)} today", (Event.REFER,)))
    if (
        RequiredAction.URGENT_STRATEGY_DISCUSSION in required
        and case.child_protection_open
        and not case.strategy_discussions
        and case.open_deadline(DeadlineKind.STRATEGY_DISCUSSION) is None
    ):
        wanted.append(
            (
                "Convene an urgent strategy discussion: it must be held on the same day",
                (Event.CONVENE_STRATEGY_DISCUSSION,),
            )
        )
    latest = case.strategy_discussions[-1] if case.strategy_discussions else None
    if (
        case.state is CaseState.STRATEGY_DISCUSSION
        and latest is not None
        and latest.record.considerations.section_47_threshold_met is True
    ):
        wanted.append(
            (
                f"Start the Section 47 enquiry: the strategy discussion of "
                f"{_day_text(london_date(latest.at))} found the threshold met",
                (Event.START_SECTION_47,),
            )
        )
    if (
        RequiredAction.REFER_TO_LADO in required
        and case.allegation_state is None
        and case.open_deadline(DeadlineKind.LADO_REFERRAL) is None
    ):
        wanted.append(("Refer the allegation to the LADO", (Event.REFER_TO_LADO,)))
    steps = []
    for text, events in wanted:
        actions, blocked = _step_for(events, offered, case, actor)
        if not actions and blocked is None and case.state is CaseState.CONCERN:
            # the tables allow it only from a referral
            blocked = Blocked(events[0].value, _REFER_FIRST)
        steps.append(Step(text=text, owner=worker, actions=actions, blocked=blocked))
    return steps
