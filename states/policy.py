"""The timescale policy: one table for the law (DESIGN 3.1, house rule 2).

Every statutory number of the service lives in `ENGLAND_2023`, each row with its unit, anchor,
starting and meeting events, counting convention and source. A local authority ships a variant as
a TOML file over a base policy (`load_policy`), for example::

    name = "exampleshire-2024"
    base = "england-2023"
    [rules.strategy_discussion]
    duration = {unit = "working_days", n = 3}
    source = "Exampleshire local procedure 2024, 3.2"
    [alerts]
    due_soon_working_days = 3

A row that is overridden must give its own `source`. Durations are tables with a `unit`
(`working_days`, `calendar_days`, `calendar_months`, `elapsed_hours`, `same_day`,
`recorded_date`) and `n` (or `field` for `recorded_date`).

Beside the statutory timescales, a policy holds its local practice standards (`standards`):
`recording_timeliness` (an event written down more than this many working days after it happened
is flagged as recorded late, DESIGN 2.3) and `management_oversight` (how often a manager records
oversight on an open case with a child protection plan, DESIGN 2.5). A variant overrides them in
`[standards.<name>]` with a `duration` in working days and its `source`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, time
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any

from calendars import (
    CalendarDays,
    CalendarMonths,
    Counting,
    Due,
    Duration,
    ElapsedHours,
    OfficeHours,
    SameDay,
    WorkingDayCalendar,
    WorkingDays,
    london_date,
)
from states.errors import PolicyFileError, UnknownPolicy
from states.model import DeadlineKind, Event

__all__ = [
    "DEFAULT_STANDARDS",
    "ENGLAND_2023",
    "POLICIES",
    "AlertPolicy",
    "DeadlineKind",
    "OutOfHours",
    "Policy",
    "PracticeStandard",
    "ReceiptPolicy",
    "RecordedDate",
    "StandardName",
    "TimescaleRule",
    "load_policy",
    "policy_by_name",
]


@dataclass(frozen=True)
class RecordedDate:
    """A due date recorded in the case data rather than counted, e.g. the working agreement's
    `review_date`. `field` names it."""

    field: str

    def describe(self) -> str:
        return f"the recorded {self.field}"


RuleDuration = Duration | RecordedDate


@dataclass(frozen=True)
class TimescaleRule:
    """One row of the timescale table.

    `urgent_duration` replaces `duration` when the starting event is urgent (a same-day strategy
    discussion). `escalations` are further milestones, from the same anchor, at which an open
    deadline is escalated (allegation resolution at 3 and 12 months). `counting` is the row's
    counting convention (DESIGN 3.2); working-day durations count with it.
    """

    kind: DeadlineKind
    duration: RuleDuration
    anchor: str
    started_by: tuple[Event, ...]
    met_by: tuple[Event, ...]
    source: str
    urgent_duration: Duration | None = None
    counting: Counting = Counting.DAY_0
    escalations: tuple[Duration, ...] = ()

    def __post_init__(self) -> None:
        if not self.source.strip():
            raise ValueError(f"{self.kind}: a timescale rule needs a source")
        for d in (self.duration, self.urgent_duration, *self.escalations):
            if isinstance(d, WorkingDays) and d.counting is not self.counting:
                raise ValueError(
                    f"{self.kind}: working days count with {d.counting}, the rule with "
                    f"{self.counting}"
                )

    def due(
        self,
        anchor: datetime,
        calendar: WorkingDayCalendar,
        *,
        urgent: bool = False,
        receipt: ReceiptPolicy | None = None,
    ) -> Due:
        """The due date from `anchor` (counted from the next working day's opening where
        `receipt` treats an out-of-hours anchor so); a `RecordedDate` row has no counted due
        date."""
        duration = self.urgent_duration if urgent and self.urgent_duration else self.duration
        if isinstance(duration, RecordedDate):
            raise TypeError(f"{self.kind} is due on {duration.describe()}, not counted")
        if receipt is not None:
            anchor = receipt.anchor_for(duration, anchor, calendar)
        return duration.due(anchor, calendar)


@dataclass(frozen=True)
class AlertPolicy:
    """DESIGN 3.3: due-soon warning and escalation thresholds, in working days."""

    due_soon_working_days: int = 2
    escalate_manager_after: int = 2
    escalate_head_of_service_after: int = 5

    def __post_init__(self) -> None:
        for name in ("due_soon_working_days", "escalate_manager_after"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.escalate_head_of_service_after < self.escalate_manager_after:
            raise ValueError("escalate_head_of_service_after must not precede the manager's")


class OutOfHours(StrEnum):
    """How something received out of office hours is dated (DESIGN 3.2)."""

    ACTUAL_DATE = "actual_date"
    """Day 0 is the actual London date of receipt (the default)."""
    NEXT_WORKING_DAY = "next_working_day"
    """Received out of hours: treated as received at the opening of the next working day."""


@dataclass(frozen=True)
class ReceiptPolicy:
    """DESIGN 3.2, out-of-hours receipt: a per-authority option. It applies to working-day
    counts only: a same-day deadline (an immediate referral, an urgent strategy discussion) is
    never put off to the next working day."""

    out_of_hours: OutOfHours = OutOfHours.ACTUAL_DATE
    hours: OfficeHours = field(default_factory=OfficeHours)

    def anchor_for(
        self, duration: object, anchor: datetime, calendar: WorkingDayCalendar
    ) -> datetime:
        """The instant a count of `duration` starts from, for something received at `anchor`."""
        if (
            self.out_of_hours is OutOfHours.ACTUAL_DATE
            or not isinstance(duration, WorkingDays)
            or duration.n == 0
        ):
            return anchor
        return self.hours.effective_receipt(anchor, calendar)


class StandardName(StrEnum):
    """The local practice standards every policy holds (see the module docstring)."""

    RECORDING_TIMELINESS = "recording_timeliness"
    MANAGEMENT_OVERSIGHT = "management_oversight"


@dataclass(frozen=True)
class PracticeStandard:
    """A local practice standard: not statute, but a row of the policy with its source, so that
    an authority can set its own without touching code."""

    name: StandardName
    duration: WorkingDays
    description: str
    source: str

    def __post_init__(self) -> None:
        if not self.source.strip():
            raise ValueError(f"{self.name}: a practice standard needs a source")


_STANDARDS = (
    PracticeStandard(
        StandardName.RECORDING_TIMELINESS,
        WorkingDays(2),
        "an event recorded more than this many working days after it happened is recorded late",
        "local practice standard (case recording within 2 working days; configurable)",
    ),
    PracticeStandard(
        StandardName.MANAGEMENT_OVERSIGHT,
        WorkingDays(20),
        "a manager records oversight on an open case with a child protection plan at least this "
        "often",
        "local practice standard (management oversight every 20 working days on a child "
        "protection case; configurable)",
    ),
)
DEFAULT_STANDARDS: Mapping[StandardName, PracticeStandard] = MappingProxyType(
    {s.name: s for s in _STANDARDS}
)


@dataclass(frozen=True)
class Policy:
    """A named timescale policy: a rule for every `DeadlineKind`, the alert thresholds, the
    out-of-hours receipt option and the local practice standards."""

    name: str
    rules: Mapping[DeadlineKind, TimescaleRule]
    alerts: AlertPolicy = field(default_factory=AlertPolicy)
    receipt: ReceiptPolicy = field(default_factory=ReceiptPolicy)
    standards: Mapping[StandardName, PracticeStandard] = field(
        default_factory=lambda: DEFAULT_STANDARDS
    )
    _started: Mapping[Event, tuple[TimescaleRule, ...]] = field(
        init=False, repr=False, compare=False
    )
    _met: Mapping[Event, tuple[TimescaleRule, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        missing = [k.value for k in DeadlineKind if k not in self.rules]
        if missing:
            raise ValueError(f"policy {self.name} has no rule for {', '.join(missing)}")
        wrong = [k for k, r in self.rules.items() if r.kind is not k]
        if wrong:
            raise ValueError(f"policy {self.name}: rules filed under the wrong kind: {wrong}")
        object.__setattr__(self, "rules", MappingProxyType(dict(self.rules)))
        missing_standards = [n.value for n in StandardName if n not in self.standards]
        if missing_standards:
            raise ValueError(f"policy {self.name} has no standard {', '.join(missing_standards)}")
        object.__setattr__(self, "standards", MappingProxyType(dict(self.standards)))
        # which rules each event starts and meets, indexed once (firing an event looks them up)
        rules = tuple(self.rules.values())
        started = {e: tuple(r for r in rules if e in r.started_by) for e in Event}
        met = {e: tuple(r for r in rules if e in r.met_by) for e in Event}
        object.__setattr__(self, "_started", MappingProxyType(started))
        object.__setattr__(self, "_met", MappingProxyType(met))

    def rule(self, kind: DeadlineKind | str) -> TimescaleRule:
        return self.rules[DeadlineKind(kind)]

    def standard(self, name: StandardName | str) -> PracticeStandard:
        return self.standards[StandardName(name)]

    def recorded_late(
        self, occurred: datetime, recorded: datetime, calendar: WorkingDayCalendar
    ) -> bool:
        """DESIGN 2.3 and 6: recorded late when the London date of `recorded` is more than
        `recording_timeliness` working days after the London date of `occurred` (day 0)."""
        limit = self.standard(StandardName.RECORDING_TIMELINESS).duration
        occurred_day, recorded_day = london_date(occurred), london_date(recorded)
        if recorded_day <= occurred_day:
            return False
        return recorded_day > calendar.add_working_days(occurred_day, limit.n, limit.counting)

    def started_by(self, event: Event) -> tuple[TimescaleRule, ...]:
        """The rules whose deadlines `event` starts, in table order."""
        return self._started[event]

    def met_by(self, event: Event) -> tuple[TimescaleRule, ...]:
        """The rules whose open deadlines `event` meets, in table order."""
        return self._met[event]


_K = DeadlineKind
_E = Event
_WT = "Working Together to Safeguard Children 2023"

_ENGLAND_RULES = (
    TimescaleRule(
        kind=_K.IMMEDIATE_REFERRAL,
        duration=SameDay(),
        anchor="concern recorded (raise_concern)",
        started_by=(_E.RAISE_CONCERN,),
        met_by=(_E.REFER,),
        source=(
            "seed 004 s2.1 (five triggers), s2.2 (adult with images who lives with or has contact "
            'with children): "the referral should be made on the same day"'
        ),
    ),
    TimescaleRule(
        kind=_K.REFERRAL_DECISION,
        duration=WorkingDays(1),
        anchor="referral received (refer, escalate)",
        started_by=(_E.REFER, _E.ESCALATE),
        met_by=(_E.START_ASSESSMENT, _E.CONVENE_STRATEGY_DISCUSSION, _E.STEP_DOWN),
        source=f"{_WT}: decision on the type of response within one working day",
    ),
    TimescaleRule(
        kind=_K.STRATEGY_DISCUSSION,
        duration=WorkingDays(1),
        urgent_duration=SameDay(),
        anchor="decision to convene (convene_strategy_discussion)",
        started_by=(_E.CONVENE_STRATEGY_DISCUSSION,),
        met_by=(_E.HOLD_STRATEGY_DISCUSSION,),
        source=(
            'seed 004 s2.2: "an urgent strategy discussion must be held on the same day" where '
            "images show children known to the alleged abuser; otherwise 1 working day (local "
            "default, configurable)"
        ),
    ),
    TimescaleRule(
        kind=_K.SINGLE_ASSESSMENT,
        duration=WorkingDays(45),
        anchor="referral received (the refer event, not the start of the assessment)",
        started_by=(_E.START_ASSESSMENT, _E.CONVENE_STRATEGY_DISCUSSION),
        met_by=(_E.AUTHORISE_ASSESSMENT,),
        source=(
            f"{_WT}: no longer than 45 working days from the point of referral; seed 004 s2.2; "
            "met when a manager authorises the assessment, the date the CIN census counts"
        ),
    ),
    TimescaleRule(
        kind=_K.INITIAL_CHILD_PROTECTION_CONFERENCE,
        duration=WorkingDays(15),
        anchor="the strategy discussion at which the Section 47 enquiry started",
        started_by=(_E.START_SECTION_47,),
        met_by=(_E.HOLD_CONFERENCE,),
        source=(
            'Working Together: "within 15 working days of the strategy discussion, or the strategy '
            "discussion at which section 47 enquiries were initiated if more than one has been "
            'held"'
        ),
    ),
    TimescaleRule(
        kind=_K.CORE_GROUP,
        duration=WorkingDays(10),
        anchor="initial child protection conference (hold_conference with a plan)",
        started_by=(_E.HOLD_CONFERENCE,),
        met_by=(_E.HOLD_CORE_GROUP,),
        source=_WT,
    ),
    TimescaleRule(
        kind=_K.FIRST_REVIEW_CONFERENCE,
        duration=CalendarMonths(3),
        anchor="initial child protection conference (hold_conference with a plan)",
        started_by=(_E.HOLD_CONFERENCE,),
        met_by=(_E.HOLD_REVIEW_CONFERENCE,),
        source=_WT,
    ),
    TimescaleRule(
        kind=_K.REVIEW_CONFERENCE,
        duration=CalendarMonths(6),
        anchor="previous review conference (hold_review_conference)",
        started_by=(_E.HOLD_REVIEW_CONFERENCE,),
        met_by=(_E.HOLD_REVIEW_CONFERENCE,),
        source=_WT,
    ),
    TimescaleRule(
        kind=_K.LADO_REFERRAL,
        duration=WorkingDays(1),
        anchor="concern about an adult in a position of trust recorded (raise_concern)",
        started_by=(_E.RAISE_CONCERN,),
        met_by=(_E.REFER_TO_LADO,),
        source="allegations guidance: the LADO is informed within one working day",
    ),
    TimescaleRule(
        kind=_K.LADO_STRATEGY_MEETING,
        duration=WorkingDays(5),
        anchor="LADO referral (refer_to_lado)",
        started_by=(_E.REFER_TO_LADO,),
        met_by=(_E.HOLD_LADO_STRATEGY_MEETING,),
        source="seed 004 s2.2",
    ),
    TimescaleRule(
        kind=_K.ALLEGATION_RESOLUTION,
        duration=CalendarMonths(1),
        escalations=(CalendarMonths(3), CalendarMonths(12)),
        anchor="LADO referral (refer_to_lado)",
        started_by=(_E.REFER_TO_LADO,),
        met_by=(_E.CLOSE_ALLEGATION,),
        source=(
            "allegations guidance (2010/2012): 80% within one month, 90% within three, all but "
            "the exceptional within twelve; targets, configurable"
        ),
    ),
    TimescaleRule(
        kind=_K.WORKING_AGREEMENT_REVIEW,
        duration=RecordedDate("review_date"),
        anchor="working agreement recorded (record_facts or hold_strategy_discussion)",
        started_by=(_E.RECORD_FACTS, _E.HOLD_STRATEGY_DISCUSSION),
        met_by=(),
        source='seed 004 s2.2: safeguards "should be reviewed regularly"',
    ),
)

ENGLAND_2023 = Policy(name="england-2023", rules={r.kind: r for r in _ENGLAND_RULES})

POLICIES: Mapping[str, Policy] = MappingProxyType({ENGLAND_2023.name: ENGLAND_2023})


def policy_by_name(name: str) -> Policy:
    """The built-in policy `name`; raises `UnknownPolicy` naming the known ones."""
    try:
        return POLICIES[name]
    except KeyError:
        known = ", ".join(sorted(POLICIES))
        raise UnknownPolicy(f"unknown policy {name!r}: expected one of {known}") from None


# -- policy files ---------------------------------------------------------------------------------

_UNITS = (
    "working_days",
    "calendar_days",
    "calendar_months",
    "elapsed_hours",
    "same_day",
    "recorded_date",
)
_RULE_FIELDS = (
    "duration",
    "urgent_duration",
    "escalations",
    "counting",
    "anchor",
    "started_by",
    "met_by",
    "source",
)
_TOP_FIELDS = ("name", "base", "description", "rules", "alerts", "receipt", "standards")


class _Refuse:
    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self, where: str, why: str) -> PolicyFileError:
        return PolicyFileError(f"{self.path}: {where}: {why}")


def _table(value: object, where: str, refuse: _Refuse) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise refuse(where, f"should be a table, got {value!r}")
    return value


def _unknown(keys: object, allowed: tuple[str, ...], where: str, refuse: _Refuse) -> None:
    extra = sorted(set(keys) - set(allowed))  # type: ignore[call-overload]
    if extra:
        prefix = f"{where}." if where else ""
        raise refuse(f"{prefix}{extra[0]}", f"unknown field; expected one of {', '.join(allowed)}")


def _count(spec: dict[str, Any], where: str, refuse: _Refuse) -> int:
    if "n" not in spec:
        raise refuse(f"{where}.n", "missing")
    n = spec["n"]
    if isinstance(n, bool) or not isinstance(n, int):
        raise refuse(f"{where}.n", f"should be a whole number, got {n!r}")
    if n < 0:
        raise refuse(f"{where}.n", f"must not be negative, got {n}")
    return int(n)


def _duration(
    value: object, where: str, counting: Counting, refuse: _Refuse, *, recorded: bool
) -> RuleDuration:
    spec = _table(value, where, refuse)
    unit = spec.get("unit")
    if unit not in _UNITS or (unit == "recorded_date" and not recorded):
        allowed = _UNITS if recorded else _UNITS[:-1]
        raise refuse(
            f"{where}.unit", f"unknown unit {unit!r}; expected one of {', '.join(allowed)}"
        )
    if unit == "same_day":
        _unknown(spec, ("unit",), where, refuse)
        return SameDay()
    if unit == "recorded_date":
        _unknown(spec, ("unit", "field"), where, refuse)
        name = spec.get("field")
        if not isinstance(name, str) or not name:
            raise refuse(f"{where}.field", "should name the recorded date, e.g. review_date")
        return RecordedDate(name)
    _unknown(spec, ("unit", "n"), where, refuse)
    n = _count(spec, where, refuse)
    try:
        if unit == "working_days":
            return WorkingDays(n, counting)
        if unit == "calendar_days":
            return CalendarDays(n)
        if unit == "calendar_months":
            return CalendarMonths(n)
        return ElapsedHours(n)
    except ValueError as exc:
        raise refuse(f"{where}.n", str(exc)) from None


def _events(value: object, where: str, refuse: _Refuse) -> tuple[Event, ...]:
    if not isinstance(value, list):
        raise refuse(where, f"should be a list of event names, got {value!r}")
    out = []
    for item in value:
        try:
            out.append(Event(item))
        except ValueError:
            raise refuse(where, f"unknown event {item!r}") from None
    return tuple(out)


def _with_counting(d: RuleDuration, counting: Counting) -> RuleDuration:
    return WorkingDays(d.n, counting) if isinstance(d, WorkingDays) else d


def _rule(base: TimescaleRule, raw: dict[str, Any], where: str, refuse: _Refuse) -> TimescaleRule:
    _unknown(raw, _RULE_FIELDS, where, refuse)
    source = raw.get("source")
    if source is None:
        raise refuse(f"{where}.source", "missing: an overridden row must name its source")
    if not isinstance(source, str) or not source.strip():
        raise refuse(f"{where}.source", "should be non-empty text")
    counting = base.counting
    if "counting" in raw:
        try:
            counting = Counting(raw["counting"])
        except ValueError:
            valid = ", ".join(c.value for c in Counting)
            raise refuse(
                f"{where}.counting", f"unknown counting {raw['counting']!r}; expected {valid}"
            ) from None
    changes: dict[str, Any] = {"source": source, "counting": counting}
    duration = base.duration
    if "duration" in raw:
        duration = _duration(raw["duration"], f"{where}.duration", counting, refuse, recorded=True)
    changes["duration"] = _with_counting(duration, counting)
    urgent = base.urgent_duration
    if "urgent_duration" in raw:
        parsed = _duration(
            raw["urgent_duration"], f"{where}.urgent_duration", counting, refuse, recorded=False
        )
        assert not isinstance(parsed, RecordedDate)
        urgent = parsed
    changes["urgent_duration"] = None if urgent is None else _with_counting(urgent, counting)
    escalations = base.escalations
    if "escalations" in raw:
        items = raw["escalations"]
        if not isinstance(items, list):
            raise refuse(f"{where}.escalations", "should be a list of durations")
        escalations = tuple(
            _duration(e, f"{where}.escalations.{i}", counting, refuse, recorded=False)  # type: ignore[misc]
            for i, e in enumerate(items)
        )
    changes["escalations"] = tuple(_with_counting(e, counting) for e in escalations)
    if "anchor" in raw:
        if not isinstance(raw["anchor"], str) or not raw["anchor"].strip():
            raise refuse(f"{where}.anchor", "should be non-empty text")
        changes["anchor"] = raw["anchor"]
    for name in ("started_by", "met_by"):
        if name in raw:
            changes[name] = _events(raw[name], f"{where}.{name}", refuse)
    try:
        return replace(base, **changes)
    except ValueError as exc:
        raise refuse(where, str(exc)) from None


def load_policy(path: str | Path) -> Policy:
    """A policy variant read from the TOML file at `path` (see the module docstring).

    Raises `PolicyFileError` naming the file, the row and the field for anything it cannot use:
    bad TOML, an unknown row or field, an unknown unit, a negative count, a missing source.
    """
    path = Path(path)
    refuse = _Refuse(path)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise refuse("file", f"cannot be read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise refuse("file", f"not valid TOML ({exc})") from None
    _unknown(doc, _TOP_FIELDS, "", refuse)
    name = doc.get("name")
    if not isinstance(name, str) or not name.strip():
        raise refuse("name", "missing: the policy needs a name")
    base_name = doc.get("base")
    if not isinstance(base_name, str):
        raise refuse("base", f"missing: name the base policy ({', '.join(sorted(POLICIES))})")
    try:
        base = policy_by_name(base_name)
    except UnknownPolicy as exc:
        raise refuse("base", str(exc)) from None
    rules = dict(base.rules)
    for row, raw in _table(doc.get("rules", {}), "rules", refuse).items():
        where = f"rules.{row}"
        try:
            kind = DeadlineKind(row)
        except ValueError:
            valid = ", ".join(k.value for k in DeadlineKind)
            raise refuse(where, f"unknown row; expected one of {valid}") from None
        rules[kind] = _rule(rules[kind], _table(raw, where, refuse), where, refuse)
    alerts = base.alerts
    if "alerts" in doc:
        raw_alerts = _table(doc["alerts"], "alerts", refuse)
        allowed = (
            "due_soon_working_days",
            "escalate_manager_after",
            "escalate_head_of_service_after",
        )
        _unknown(raw_alerts, allowed, "alerts", refuse)
        for key, value in raw_alerts.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise refuse(
                    f"alerts.{key}", f"should be a non-negative whole number, got {value!r}"
                )
        try:
            alerts = replace(alerts, **raw_alerts)
        except ValueError as exc:
            raise refuse("alerts", str(exc)) from None
    receipt = _receipt(base.receipt, doc, refuse) if "receipt" in doc else base.receipt
    standards = dict(base.standards)
    for row, raw in _table(doc.get("standards", {}), "standards", refuse).items():
        where = f"standards.{row}"
        try:
            name_of = StandardName(row)
        except ValueError:
            valid = ", ".join(n.value for n in StandardName)
            raise refuse(where, f"unknown standard; expected one of {valid}") from None
        standards[name_of] = _standard(
            standards[name_of], _table(raw, where, refuse), where, refuse
        )
    return Policy(name=name, rules=rules, alerts=alerts, receipt=receipt, standards=standards)


def _standard(
    base: PracticeStandard, raw: dict[str, Any], where: str, refuse: _Refuse
) -> PracticeStandard:
    _unknown(raw, ("duration", "source"), where, refuse)
    source = raw.get("source")
    if not isinstance(source, str) or not source.strip():
        raise refuse(f"{where}.source", "missing: an overridden standard must name its source")
    duration = base.duration
    if "duration" in raw:
        parsed = _duration(
            raw["duration"], f"{where}.duration", Counting.DAY_0, refuse, recorded=False
        )
        if not isinstance(parsed, WorkingDays):
            raise refuse(f"{where}.duration.unit", "a practice standard is set in working_days")
        duration = parsed
    return replace(base, duration=duration, source=source)


def _receipt(base: ReceiptPolicy, doc: dict[str, Any], refuse: _Refuse) -> ReceiptPolicy:
    """The `[receipt]` table: `out_of_hours` ("actual_date" or "next_working_day"),
    `office_opens` and `office_closes` ("HH:MM", Europe/London)."""
    raw = _table(doc["receipt"], "receipt", refuse)
    _unknown(raw, ("out_of_hours", "office_opens", "office_closes"), "receipt", refuse)
    out_of_hours = base.out_of_hours
    if "out_of_hours" in raw:
        try:
            out_of_hours = OutOfHours(raw["out_of_hours"])
        except ValueError:
            valid = ", ".join(o.value for o in OutOfHours)
            raise refuse(
                "receipt.out_of_hours", f"should be one of {valid}, got {raw['out_of_hours']!r}"
            ) from None
    times: dict[str, time] = {"opens": base.hours.opens, "closes": base.hours.closes}
    for key in ("office_opens", "office_closes"):
        if key in raw:
            value = raw[key]
            try:
                if not isinstance(value, str):
                    raise ValueError
                times[key.removeprefix("office_")] = time.fromisoformat(value)
            except ValueError:
                raise refuse(f"receipt.{key}", f"should be a time HH:MM, got {value!r}") from None
    try:
        hours = OfficeHours(**times)
    except ValueError as exc:
        raise refuse("receipt", str(exc)) from None
    return ReceiptPolicy(out_of_hours=out_of_hours, hours=hours)
