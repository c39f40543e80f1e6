"""The casework aggregate: `Case`, its `Deadline`s and the `CaseEvent`s it appends.

Plain dataclasses with no infrastructure imports (house rules; cosmicpython's
`domain/model.py`). Persistence maps them imperatively; nothing here reads the clock or does I/O.

- `Case.pending_events` is appended by `fire`, `raise_concern` and `recalculate`, and drained by
  persistence into the append-only log (house rule 7). `Case.history` holds every event of the case
  known to this object, oldest first (persistence may load it; the domain appends to it too).
- Every event has two times (DESIGN 2.3): `at`, when it happened (entered by the person recording
  it), and `recorded_at`, when it was written down (the server's clock). Deadlines start, are met
  and are missed by `at`. `late` marks an event recorded after the policy's
  `recording_timeliness`.
- `Case.last_seq` numbers new events; `Case.machine_last` keeps, per machine, the time and name of
  its latest event, so that `fire` can refuse an event dated before it (the order rule).
- A `Deadline` is `open` until met, missed (met at or after `due_at`) or cancelled; `overdue` is
  derived (`status_at`). It carries the log numbers of the event its due date is counted from
  (`anchor_seq`) and of the event that met it (`met_seq`), so that a `correct_date` of either
  recomputes it. Met, missed and cancelled deadlines are history: only such a correction judges
  them again, and both judgements stay in the log.
- `effective_history` reads the log as it now stands: each corrected event at its corrected time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from calendars import Region, london_date
from states import (
    AllegationState,
    CaseFacts,
    CaseState,
    DeadlineKind,
    RequiredAction,
    StrategyDiscussion,
)

__all__ = [
    "AlertStep",
    "AssessmentSubmission",
    "Case",
    "CaseEvent",
    "CaseEventKind",
    "Deadline",
    "DeadlineStatus",
    "HeldStrategyDiscussion",
    "MachineMark",
    "effective_history",
]


class DeadlineStatus(StrEnum):
    """Stored status of a deadline; `overdue` is never stored (see `Deadline.status_at`)."""

    OPEN = "open"
    MET = "met"
    MISSED = "missed"
    CANCELLED = "cancelled"


class AlertStep(StrEnum):
    """The steps of a deadline's alert schedule, in order (DESIGN 3.3).

    `level` and `to` are the scenario contract's alert fields (DESIGN 6).
    """

    DUE_SOON = "due_soon"
    DUE_TODAY = "due_today"
    OVERDUE = "overdue"
    ESCALATED_MANAGER = "escalated_manager"
    ESCALATED_HEAD_OF_SERVICE = "escalated_head_of_service"

    @property
    def level(self) -> str:
        return "escalated" if self.value.startswith("escalated") else self.value

    @property
    def to(self) -> str:
        if self is AlertStep.ESCALATED_MANAGER:
            return "manager"
        if self is AlertStep.ESCALATED_HEAD_OF_SERVICE:
            return "head_of_service"
        return "owner"

    @property
    def rank(self) -> int:
        return _STEP_ORDER.index(self)


_STEP_ORDER: tuple[AlertStep, ...] = tuple(AlertStep)


class CaseEventKind(StrEnum):
    """Kinds of entries in a case's append-only log."""

    TRANSITION = "transition"
    DEADLINE_STARTED = "deadline_started"
    DEADLINE_MET = "deadline_met"
    DEADLINE_MISSED = "deadline_missed"
    DEADLINE_CANCELLED = "deadline_cancelled"
    DEADLINE_MOVED = "deadline_moved"
    DEADLINE_REJUDGED = "deadline_rejudged"


@dataclass
class CaseEvent:
    """One entry of the append-only log.

    For a `transition`, `event` is the contract event name, `machine` the machine it ran on,
    `from_state`/`to_state` the states (`from_state` is None for `raise_concern`), `data` the
    validated event data as JSON, and `calendar_version` the calendar it was judged with (so that
    `replay` can rebuild the deadlines). For a deadline entry, `data` names the deadline
    (`deadline`, `due_date`, `due_at`, and for `deadline_moved` `old_due_date`, `new_due_date`,
    `old_calendar_version`, `new_calendar_version`; for `deadline_rejudged` also `old_status`,
    `new_status`, `old_met_at`, `met_at`).

    `at` is when it happened, `recorded_at` when it was written down, `late` whether that was
    after the policy's recording timeliness. A `correct_date` entry names the event it corrects in
    `corrects` (its `seq`); its `data` holds `old_occurred_at`, `new_occurred_at`, `reason` and
    `late` (whether the corrected event, at its corrected time, was recorded late).
    `original_at` is set only in `effective_history`: the time first recorded.
    """

    seq: int
    at: datetime
    recorded_at: datetime
    actor: str
    kind: CaseEventKind
    event: str | None = None
    machine: str | None = None
    from_state: str | None = None
    to_state: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    calendar_version: str | None = None
    late: bool = False
    corrects: int | None = None
    original_at: datetime | None = None

    @property
    def is_transition(self) -> bool:
        return self.kind is CaseEventKind.TRANSITION


def effective_history(events: Sequence[CaseEvent]) -> list[CaseEvent]:
    """The log as it now reads (DESIGN 2.3): each event a `correct_date` has corrected at its
    corrected time and lateness (the latest correction wins), with `original_at` keeping the time
    first recorded. The log itself is never changed."""
    corrected: dict[int, tuple[datetime, bool]] = {}
    for e in events:
        if e.corrects is not None:
            corrected[e.corrects] = (
                datetime.fromisoformat(e.data["new_occurred_at"]),
                bool(e.data.get("late", False)),
            )
    return [
        replace(e, at=corrected[e.seq][0], late=corrected[e.seq][1], original_at=e.at)
        if e.seq in corrected
        else e
        for e in events
    ]


@dataclass(frozen=True)
class MachineMark:
    """The latest event of a machine: when it happened, its name and its log number."""

    at: datetime
    event: str
    seq: int


@dataclass
class Deadline:
    """A statutory or local deadline of a case (DESIGN 3).

    `due_date` is a London date; `due_at` the aware UTC instant from which it is overdue (the end of
    `due_date`, or an exact instant for elapsed hours). `urgent` records that the rule's
    `urgent_duration` produced it, so a recalculation uses the same duration. `next_alert_at` /
    `next_alert_level` are the next step of its alert schedule (None once nothing is left or the
    deadline is no longer open); the sweep selects on `next_alert_at <= as_of`.
    """

    kind: DeadlineKind
    anchor_at: datetime
    due_date: date
    due_at: datetime
    calendar_version: str
    policy_name: str
    status: DeadlineStatus = DeadlineStatus.OPEN
    met_at: datetime | None = None
    id: int | None = None
    case_id: int | None = None
    urgent: bool = False
    next_alert_at: datetime | None = None
    next_alert_level: AlertStep | None = None
    anchor_seq: int | None = None
    met_seq: int | None = None

    @property
    def is_open(self) -> bool:
        return self.status is DeadlineStatus.OPEN

    def status_at(self, as_of: datetime) -> str:
        """DESIGN 6's status: `open`, `overdue` (open and `as_of >= due_at`), `met`, `missed`,
        `cancelled`."""
        if self.status is DeadlineStatus.OPEN and as_of >= self.due_at:
            return "overdue"
        return self.status.value


@dataclass(frozen=True)
class HeldStrategyDiscussion:
    """A strategy discussion held on the case; `started_section_47` marks the one at which the
    Section 47 enquiry started (the ICPC's anchor, DESIGN 3.1); `seq` is its log number."""

    at: datetime
    record: StrategyDiscussion
    started_section_47: bool = False
    seq: int | None = None


@dataclass(frozen=True)
class AssessmentSubmission:
    """A single assessment submitted for a manager's authorisation (DESIGN 2.5): who completed
    it, when, its log number and the CIN census factors identified."""

    by: str
    at: datetime
    seq: int
    factors: tuple[str, ...] = ()


@dataclass
class Case:
    """The case aggregate: two machines' states, the facts, the deadlines and the new events."""

    reference: str
    region: Region
    policy_name: str
    state: CaseState
    facts: CaseFacts
    created_at: datetime
    allegation_state: AllegationState | None = None
    required_actions: tuple[RequiredAction, ...] = ()
    do_not_inform_family: bool = False
    restricted: bool = False
    id: int | None = None
    owner_id: int | None = None
    team_id: int | None = None
    outcome: dict[str, Any] | None = None
    version: int = 0
    deadlines: list[Deadline] = field(default_factory=list)
    strategy_discussions: list[HeldStrategyDiscussion] = field(default_factory=list)
    section_47_started_at: datetime | None = None
    referral_at: datetime | None = None
    referral_seq: int | None = None
    last_event_at: datetime | None = None
    last_seq: int = 0
    machine_last: dict[str, MachineMark] = field(default_factory=dict)
    assessment: AssessmentSubmission | None = None
    unallocated_since: datetime | None = None
    history: list[CaseEvent] = field(default_factory=list)
    pending_events: list[CaseEvent] = field(default_factory=list)
    # persistence's, never read by the domain: the number and hash of the log's last stored
    # entry, so that new entries are chained to it without another query (DESIGN 9)
    log_head: tuple[int, str] | None = None

    def open_deadlines(self) -> list[Deadline]:
        return [d for d in self.deadlines if d.is_open]

    @property
    def child_protection_open(self) -> bool:
        return self.state is not CaseState.CLOSED

    @property
    def allegation_open(self) -> bool:
        return self.allegation_state not in (None, AllegationState.CLOSED)

    def _inform_decision(self) -> HeldStrategyDiscussion | None:
        for held in self.strategy_discussions:
            if held.record.considerations.when_to_inform_alleged_abuser:
                return held
        return None

    @property
    def family_may_be_informed(self) -> bool:
        """No tipping off (DESIGN 4.2, seed 004 s2.2): while `do_not_inform_family` holds, nothing
        is disclosed to the alleged abuser, their partner or children until a strategy
        discussion has recorded `when_to_inform_alleged_abuser`. The flag itself stays (it is
        part of the record); this says whether its bar has been lifted by that decision."""
        return not self.do_not_inform_family or self._inform_decision() is not None

    @property
    def family_disclosure_reason(self) -> str:
        """Why the family may or may not be told, in words a practitioner can act on."""
        if not self.do_not_inform_family:
            return "no restriction on informing the family"
        held = self._inform_decision()
        if held is None:
            return (
                "do not inform the alleged abuser, their partner or children: an adult is alleged "
                "to be involved and no strategy discussion has yet decided when (seed 004 s2.2)"
            )
        when = held.record.considerations.when_to_inform_alleged_abuser
        return (
            f"the strategy discussion of {london_date(held.at).isoformat()} decided when to "
            f"inform the alleged abuser: {when}"
        )

    def open_deadline(self, kind: DeadlineKind) -> Deadline | None:
        """The open deadline of that kind, if any (at most one is open per kind)."""
        for d in self.deadlines:
            if d.kind is kind and d.is_open:
                return d
        return None

    def drain_events(self) -> list[CaseEvent]:
        """Hand the new events to persistence and forget them."""
        events, self.pending_events = self.pending_events, []
        return events
