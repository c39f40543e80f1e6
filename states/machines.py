"""The transition tables of DESIGN 2.1 and 2.2, in the `transitions` format.

Each row is `{"trigger", "source", "dest", "conditions"?}`; `conditions` name entries of
`states.guards.GUARDS`. `dest: None` is an internal transition: the event is recorded and the
state does not change. Rows of one trigger are tried in table order; the first whose guards all
allow fires (this is how `hold_conference` and `hold_review_conference` branch on their outcome).

`raise_concern` has no row: it creates a case, whose machine starts in `INITIAL_STATE` (`concern`);
the event itself is recorded by `workflows`. The allegation machine starts in the sentinel state
`NO_ALLEGATION` ("none"), which users see as `allegation_state = None`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from transitions import EventData, Machine

from states.guards import DATA_GUARDS, GUARDS, GuardContext
from states.model import AllegationState, CaseState, Event, MachineName

__all__ = [
    "ALLEGATION_TRANSITIONS",
    "CHILD_PROTECTION_TRANSITIONS",
    "CREATION_EVENT",
    "INITIAL_STATE",
    "MACHINE_OF_EVENT",
    "NO_ALLEGATION",
    "OPEN_STATES",
    "Decision",
    "build_machine",
    "decide",
    "machine_states",
    "refusal_before_data",
    "transitions_of",
]

Row = Mapping[str, Any]

INITIAL_STATE = CaseState.CONCERN
CREATION_EVENT = Event.RAISE_CONCERN
NO_ALLEGATION = "none"

OPEN_STATES: tuple[CaseState, ...] = tuple(s for s in CaseState if s is not CaseState.CLOSED)

_S = CaseState
_E = Event

CHILD_PROTECTION_TRANSITIONS: tuple[Row, ...] = (
    {
        "trigger": _E.REFER,
        "source": [_S.CONCERN],
        "dest": _S.REFERRAL,
        "conditions": ["referral_has_recipients"],
    },
    {"trigger": _E.START_ASSESSMENT, "source": [_S.REFERRAL], "dest": _S.ASSESSMENT},
    {
        "trigger": _E.CONVENE_STRATEGY_DISCUSSION,
        "source": [_S.REFERRAL, _S.ASSESSMENT],
        "dest": _S.STRATEGY_DISCUSSION,
    },
    {
        "trigger": _E.HOLD_STRATEGY_DISCUSSION,
        "source": [_S.STRATEGY_DISCUSSION, _S.SECTION_47],
        "dest": None,
        "conditions": ["strategy_discussion_complete"],
    },
    {
        "trigger": _E.START_SECTION_47,
        "source": [_S.STRATEGY_DISCUSSION],
        "dest": _S.SECTION_47,
        "conditions": ["section_47_threshold_met", "risk_factor_gate"],
    },
    {
        "trigger": _E.HOLD_CONFERENCE,
        "source": [_S.SECTION_47],
        "dest": _S.REVIEW,
        "conditions": ["conference_plan"],
    },
    {
        "trigger": _E.HOLD_CONFERENCE,
        "source": [_S.SECTION_47],
        "dest": _S.ASSESSMENT,
        "conditions": ["conference_no_plan", "single_assessment_open"],
    },
    {
        "trigger": _E.HOLD_CONFERENCE,
        "source": [_S.SECTION_47],
        "dest": _S.CLOSED,
        "conditions": ["conference_no_plan", "single_assessment_not_open"],
    },
    {"trigger": _E.HOLD_CORE_GROUP, "source": [_S.REVIEW], "dest": None},
    {
        "trigger": _E.HOLD_REVIEW_CONFERENCE,
        "source": [_S.REVIEW],
        "dest": None,
        "conditions": ["review_plan_continues"],
    },
    {
        "trigger": _E.HOLD_REVIEW_CONFERENCE,
        "source": [_S.REVIEW],
        "dest": _S.CLOSED,
        "conditions": ["review_plan_ended"],
    },
    # the single assessment: the worker submits it, a manager authorises it (which meets the
    # 45 working days, as the CIN census counts) or returns it (DESIGN 2.5)
    {
        "trigger": _E.COMPLETE_ASSESSMENT,
        "source": list(OPEN_STATES),
        "dest": None,
        "conditions": ["single_assessment_open", "assessment_not_submitted"],
    },
    {
        "trigger": _E.AUTHORISE_ASSESSMENT,
        "source": list(OPEN_STATES),
        "dest": None,
        "conditions": ["assessment_awaiting_authorisation", "not_own_assessment"],
    },
    {
        "trigger": _E.RETURN_ASSESSMENT,
        "source": list(OPEN_STATES),
        "dest": None,
        "conditions": ["assessment_awaiting_authorisation", "return_has_reason"],
    },
    {"trigger": _E.STEP_DOWN, "source": [_S.REFERRAL, _S.ASSESSMENT], "dest": _S.EARLY_HELP},
    {"trigger": _E.ESCALATE, "source": [_S.EARLY_HELP], "dest": _S.REFERRAL},
    {
        "trigger": _E.CLOSE,
        "source": list(OPEN_STATES),
        "dest": _S.CLOSED,
        "conditions": ["close_has_outcome_and_reason"],
    },
    # case-level events (states.CASE_LEVEL_EVENTS): no move, in any state while the case is open
    # (a LADO track may run on after child protection has closed, so `closed` is listed and the
    # `case_open` guard decides)
    *(
        {
            "trigger": trigger,
            "source": list(CaseState),
            "dest": None,
            "conditions": ["case_open", condition],
        }
        for trigger, condition in (
            (_E.RECORD_FACTS, "facts_update_complete"),
            (_E.CORRECT_DATE, "correction_complete"),
            (_E.ALLOCATE, "allocation_names_owner"),
            (_E.TRANSFER, "transfer_complete"),
            (_E.ADD_NOTE, "note_complete"),
        )
    ),
)

_A = AllegationState

ALLEGATION_TRANSITIONS: tuple[Row, ...] = (
    {
        "trigger": _E.REFER_TO_LADO,
        "source": [NO_ALLEGATION],
        "dest": _A.LADO_REFERRAL,
        "conditions": ["position_of_trust"],
    },
    {
        "trigger": _E.HOLD_LADO_STRATEGY_MEETING,
        "source": [_A.LADO_REFERRAL],
        "dest": _A.INVESTIGATION,
    },
    {
        "trigger": _E.RECORD_ALLEGATION_OUTCOME,
        "source": [_A.INVESTIGATION],
        "dest": _A.CONCLUDED,
        "conditions": ["allegation_outcome_recorded"],
    },
    {"trigger": _E.CLOSE_ALLEGATION, "source": [_A.CONCLUDED], "dest": _A.CLOSED},
)

MACHINE_OF_EVENT: Mapping[Event, MachineName] = {
    CREATION_EVENT: MachineName.CHILD_PROTECTION,
    **{row["trigger"]: MachineName.CHILD_PROTECTION for row in CHILD_PROTECTION_TRANSITIONS},
    **{row["trigger"]: MachineName.ALLEGATION for row in ALLEGATION_TRANSITIONS},
}


def transitions_of(name: MachineName) -> tuple[Row, ...]:
    """The table of machine `name`."""
    if name is MachineName.CHILD_PROTECTION:
        return CHILD_PROTECTION_TRANSITIONS
    return ALLEGATION_TRANSITIONS


def machine_states(name: MachineName) -> tuple[str, ...]:
    """Every state of machine `name`, as the machine names them (including `NO_ALLEGATION`)."""
    if name is MachineName.CHILD_PROTECTION:
        return tuple(s.value for s in CaseState)
    return (NO_ALLEGATION, *(s.value for s in AllegationState))


@dataclass(frozen=True)
class Decision:
    """The outcome of `decide`: `allowed`, the state after the event (`dest`, equal to the current
    state for an internal transition) and, when refused, the `reason`."""

    allowed: bool
    dest: str | None
    reason: str | None


def _first_refusal(conditions: Sequence[str], ctx: GuardContext) -> str | None:
    for name in conditions:
        reason = GUARDS[name](ctx)
        if reason is not None:
            return reason
    return None


def decide(event: Event, current: str | None, ctx: GuardContext) -> Decision:
    """Evaluate the tables without a `transitions` machine.

    `current` is the current state of the event's machine (`None` for a case with no allegation
    track). Refused when no row leaves `current`: the reason names the event and the state; when
    rows exist but every one is refused by a guard: the first guard reason of the first such row.
    """
    machine = MACHINE_OF_EVENT[event]
    if event is CREATION_EVENT:
        return Decision(False, None, "raise_concern creates a new case; it cannot be fired on one")
    state = NO_ALLEGATION if current is None else str(current)
    rows = [r for r in transitions_of(machine) if r["trigger"] == event and state in r["source"]]
    if not rows:
        shown = "no allegations track" if state == NO_ALLEGATION else f"state {state}"
        return Decision(False, None, f"{event.value} is not allowed in {shown}")
    first_reason: str | None = None
    for row in rows:
        reason = _first_refusal(row.get("conditions", ()), ctx)
        if reason is None:
            dest = row["dest"]
            return Decision(True, state if dest is None else str(dest), None)
        first_reason = first_reason or reason
    return Decision(False, None, first_reason)


def refusal_before_data(event: Event, current: str | None, ctx: GuardContext) -> str | None:
    """Why `event` would be refused from `current` whatever its own data, or None when it may be
    allowed: `decide` with the guards of `DATA_GUARDS` left out (they are judged when the event is
    recorded, with its data; `ctx.data` is not read). Refused when no row leaves `current` (the
    reason `decide` gives) or when every row has a guard that reads the case alone and refuses it
    (the first such reason of the first such row)."""
    if event is CREATION_EVENT:
        return decide(event, current, ctx).reason
    state = NO_ALLEGATION if current is None else str(current)
    machine = MACHINE_OF_EVENT[event]
    rows = [r for r in transitions_of(machine) if r["trigger"] == event and state in r["source"]]
    if not rows:
        return decide(event, current, ctx).reason
    first_reason: str | None = None
    for row in rows:
        case_alone = [c for c in row.get("conditions", ()) if c not in DATA_GUARDS]
        reason = _first_refusal(case_alone, ctx)
        if reason is None:
            return None
        first_reason = first_reason or reason
    return first_reason


def _condition(name: str) -> Any:
    guard = GUARDS[name]

    def check(event_data: EventData) -> bool:
        ctx = event_data.kwargs.get("guard_context")
        if not isinstance(ctx, GuardContext):
            raise TypeError("trigger the event with guard_context=GuardContext(...)")
        reason = guard(ctx)
        if reason is None:
            return True
        refusals = event_data.kwargs.get("refusals")
        if isinstance(refusals, list):
            refusals.append(reason)
        return False

    check.__name__ = name
    return check


def build_machine(name: MachineName, initial: str | None = None) -> Machine:
    """A shared `transitions.Machine` for `name`, with no model attached.

    `send_event=True`, `auto_transitions=False`, `model_attribute` = `name.attribute`. Attach a
    model with `machine.add_model(model, initial=stored_state)` (or the stored state is
    overwritten) and fire with
    `machine.events[event].trigger(model, guard_context=ctx, refusals=reasons)`: each guard that
    refuses appends its reason to the list `reasons`. Remove the model afterwards.
    """
    rows = []
    for row in transitions_of(name):
        converted = {
            "trigger": str(row["trigger"]),
            "source": [str(s) for s in row["source"]],
            "dest": None if row["dest"] is None else str(row["dest"]),
        }
        if row.get("conditions"):
            converted["conditions"] = [_condition(c) for c in row["conditions"]]
        rows.append(converted)
    default = INITIAL_STATE.value if name is MachineName.CHILD_PROTECTION else NO_ALLEGATION
    return Machine(
        model=None,
        states=list(machine_states(name)),
        transitions=rows,
        initial=initial or default,
        send_event=True,
        auto_transitions=False,
        model_attribute=name.attribute,
        name=name.value,
    )
