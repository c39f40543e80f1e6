"""The LADO's annual figures (DESIGN 8): allegations against people who work or volunteer with
children, referred to the LADO in a reporting year, by the alleged abuser's employment sector
and by outcome, and the share resolved within the allegations guidance's targets.

- The reporting year `year` runs from 1 April of `year - 1` to 31 March of `year` (as the CIN
  census's), by the London date of the LADO referral (`refer_to_lado`), read from the log as it
  now reads (corrected dates at their corrected times).
- Employment sector: the alleged abuser's `employment_sector` as the case now records it
  ("not recorded" where it is not).
- Outcome: the `record_allegation_outcome` outcome; "not yet concluded" while there is none.
- Resolved: an allegation is resolved when its outcome is recorded (the allegation is
  concluded). The targets are the policy's `allegation_resolution` rule, its duration and its
  escalations (england-2023: one month, three months, twelve months from the LADO referral),
  each due date computed by the rule's own durations on the case's calendar; resolved within a
  target means the outcome was recorded before the end of that due date, as a deadline is met.
  The shares are of every allegation referred in the year, resolved or not.

Pure reading: `lado_report(sf, year=..., as_of=..., calendar_for=..., policy_for=...)` reads the
allegation cases and returns a `LadoReport`; `report_csv(report)` is its CSV. Nothing recorded
after `as_of` counts.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from calendars import Duration, Region, london_date, to_utc
from states import (
    AllegationOutcome,
    DeadlineKind,
    EmploymentSector,
    Event,
    Policy,
    RecordedDate,
    TimescaleRule,
)
from states.labels import label as name_of
from workflows.domain import CaseEvent, effective_history
from workflows.lookups import CalendarFor, PolicyFor
from workflows.persistence.engine import SessionFactory
from workflows.persistence.repository import event_from_row
from workflows.persistence.tables import case_events, cases

__all__ = [
    "FIRST_YEAR",
    "LAST_YEAR",
    "NOT_CONCLUDED",
    "NOT_RECORDED",
    "LadoReport",
    "TargetShare",
    "lado_report",
    "report_csv",
    "reporting_year",
]

NOT_RECORDED = "not_recorded"
NOT_CONCLUDED = "not_yet_concluded"
FIRST_YEAR, LAST_YEAR = 2001, 2040
"""The reporting years the working-day calendars cover (1 April 2000 to 31 March 2040)."""


def reporting_year(year: int) -> tuple[date, date]:
    """The first and last day of the reporting year ending 31 March `year`; ValueError outside
    FIRST_YEAR..LAST_YEAR."""
    if isinstance(year, bool) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"year {year}: expected a year from {FIRST_YEAR} to {LAST_YEAR}")
    return date(year - 1, 4, 1), date(year, 3, 31)


@dataclass(frozen=True)
class TargetShare:
    """Allegations resolved within one target (`label`: "1 month", ...)."""

    label: str
    resolved: int
    total: int

    @property
    def percent(self) -> float | None:
        return None if self.total == 0 else round(100 * self.resolved / self.total, 1)


@dataclass(frozen=True)
class LadoReport:
    year: int
    first: date
    last: date
    total: int
    by_sector: tuple[tuple[str, int], ...]
    """Every employment sector in the code list's order, then `not_recorded`, with its count."""
    by_outcome: tuple[tuple[str, int], ...]
    """Every outcome in the code list's order, then `not_yet_concluded`."""
    targets: tuple[TargetShare, ...]

    @property
    def label(self) -> str:
        return f"{self.year - 1} to {self.year}"

    def percent(self, count: int) -> float | None:
        return None if self.total == 0 else round(100 * count / self.total, 1)


@dataclass(frozen=True)
class _Allegation:
    referred_at: datetime
    sector: str
    outcome: str
    resolved_at: datetime | None


def _allegation(history: list[CaseEvent], sector: str, cutoff: datetime) -> _Allegation | None:
    events = [e for e in effective_history(history) if e.corrects is None and e.at < cutoff]
    referred = next((e for e in events if e.event == Event.REFER_TO_LADO.value), None)
    if referred is None:
        return None
    concluded = next((e for e in events if e.event == Event.RECORD_ALLEGATION_OUTCOME.value), None)
    outcome = NOT_CONCLUDED
    if concluded is not None and concluded.data.get("outcome"):
        outcome = str(concluded.data["outcome"])
    return _Allegation(
        referred_at=referred.at,
        sector=sector,
        outcome=outcome,
        resolved_at=concluded.at if concluded is not None else None,
    )


def _targets(rule: TimescaleRule) -> tuple[Duration, ...]:
    """The rule's target and its escalations, each counted from the LADO referral (a due date
    recorded in the case's data, which a local policy could name, is no resolution target)."""
    durations = (rule.duration, *rule.escalations)
    return tuple(d for d in durations if not isinstance(d, RecordedDate))


def lado_report(
    sf: SessionFactory,
    *,
    year: int,
    as_of: datetime,
    calendar_for: CalendarFor,
    policy_for: PolicyFor,
    policy: Policy,
) -> LadoReport:
    """The figures of the reporting year ending 31 March `year`, from what was recorded before
    `as_of` (see the module docstring): each case's targets from its own policy (`policy_for`),
    the service's `policy` naming them when the year has no allegation. ValueError for a year
    outside the calendars."""
    first, last = reporting_year(year)
    cutoff = to_utc(as_of)
    with sf() as s:
        referred = select(case_events.c.case_id).where(
            case_events.c.event == Event.REFER_TO_LADO.value
        )
        rows = s.execute(
            select(cases.c.id, cases.c.region, cases.c.policy_name, cases.c.facts).where(
                cases.c.id.in_(referred)
            )
        ).all()
        history: dict[int, list[CaseEvent]] = defaultdict(list)
        for e in s.execute(
            select(case_events)
            .where(case_events.c.case_id.in_(referred))
            .order_by(case_events.c.case_id, case_events.c.seq)
        ):
            history[e.case_id].append(event_from_row(e))
    sectors: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    resolved: dict[str, int] = defaultdict(int)
    labels: list[str] = []
    total = 0
    for row in rows:
        abuser = (row.facts or {}).get("alleged_abuser") or {}
        found = _allegation(
            history[row.id], str(abuser.get("employment_sector") or NOT_RECORDED), cutoff
        )
        if found is None or not first <= london_date(found.referred_at) <= last:
            continue
        total += 1
        sectors[found.sector] += 1
        outcomes[found.outcome] += 1
        rule = policy_for(row.policy_name).rule(DeadlineKind.ALLEGATION_RESOLUTION)
        calendar = calendar_for(Region.parse(row.region))
        for duration in _targets(rule):
            label = duration.describe()
            if label not in labels:
                labels.append(label)
            due = duration.due(found.referred_at, calendar)
            if found.resolved_at is not None and found.resolved_at < due.due_at:
                resolved[label] += 1
    if not labels:
        # no allegation in the year: the service policy's targets, each with nothing resolved
        rule = policy.rule(DeadlineKind.ALLEGATION_RESOLUTION)
        labels = [d.describe() for d in _targets(rule)]
    return LadoReport(
        year=year,
        first=first,
        last=last,
        total=total,
        by_sector=tuple(
            (code, sectors[code]) for code in [*(s.value for s in EmploymentSector), NOT_RECORDED]
        ),
        by_outcome=tuple(
            (code, outcomes[code])
            for code in [*(o.value for o in AllegationOutcome), NOT_CONCLUDED]
        ),
        targets=tuple(TargetShare(label, resolved[label], total) for label in labels),
    )


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def report_csv(report: LadoReport) -> str:
    """The figures as CSV: `Measure,Category,Allegations,Percent` (percent of the year's
    allegations, one decimal, empty when there are none), every category in words
    (`states.labels`: "Early years", "Not yet concluded"). No cell starts a formula."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Measure", "Category", "Allegations", "Percent"])
    writer.writerow(
        ["Reporting year", report.label, report.total, _percent(report.percent(report.total))]
    )
    for code, count in report.by_sector:
        writer.writerow(
            ["Employment sector", name_of(code), count, _percent(report.percent(count))]
        )
    for code, count in report.by_outcome:
        writer.writerow(["Outcome", name_of(code), count, _percent(report.percent(count))])
    for target in report.targets:
        writer.writerow(
            ["Resolved within", target.label, target.resolved, _percent(target.percent)]
        )
    return out.getvalue()
