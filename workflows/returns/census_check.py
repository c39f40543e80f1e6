"""What to fix before the CIN census (DESIGN 8): every record of the year's return that would
fail or query one of the DfE's rules that the service can check itself, as a task for the owner
of the case it comes from, naming the field ("ethnicity missing for child 2 of ESF-000123").

`child_tasks(child, year, calendar)` is pure (the checks of one child of the return, as
`workflows.returns.census` builds it); `census_tasks(sf, year)` runs them over the whole return,
read in batches as the export reads it; `notify_owners` tells each owner of their cases with tasks
(a `census` work notice, in the app and by email), as the nightly `census-check` flow does.

The rules checked, with the DfE rule each stands for (error unless marked query, Q):

| check | rule |
| --- | --- |
| date of birth (or expected date of birth) missing | 8525Q |
| sex missing | 4180 |
| ethnicity missing | 4220 |
| UPN wrongly formatted (length, LA code, check letter) | 1510, 1530, 1540 |
| referral source missing | 8866 |
| primary need missing on a referral that was not NFA | 8650 |
| episode closed with no reason for closure | 8640 |
| referral episodes of the child overlapping (the same child in two open cases) | 8820 |
| assessment started before the referral | 1103 |
| assessment not authorised 45 working days before the reference date | 8670Q |
| assessment not authorised, started before the year | 8736 |
| assessment authorised with no factors identified | 8897Q |
| Section 47 enquiry started before the referral | 2889 |
| Section 47 enquiry with no ICPC 15 working days before the reference date | 8675Q |
| ICPC on a Saturday or Sunday | 8875 |
| child protection plan with no category of abuse | 8905, 8910 |

Working days are England's (the DfE's rules count them so, wherever the case is).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from calendars import Region, WorkingDayCalendar, calendar_for, end_of_london_day, london_date
from states.identifiers import InvalidIdentifier, normalise_upn
from workflows.notifications import NoticeKind, notify
from workflows.persistence import SessionFactory
from workflows.persistence.tables import user_notices, users
from workflows.returns.census import CaseEpisodes, CensusChild, CensusYear, census_children

__all__ = [
    "CensusTask",
    "census_tasks",
    "child_tasks",
    "notify_owners",
    "owner_names",
    "tasks_of_owner",
    "working_days_before",
]


@dataclass(frozen=True, order=True)
class CensusTask:
    """A record to fix: for the owner of `reference`, about `field` of child `child_number`."""

    reference: str
    child_number: int
    rule: str
    field: str
    text: str
    case_id: int
    owner_id: int | None


def _task(case: CaseEpisodes, rule: str, field: str, what: str) -> CensusTask:
    return CensusTask(
        reference=case.reference,
        child_number=case.child_number,
        rule=rule,
        field=field,
        text=f"{what} for child {case.child_number} of {case.reference}",
        case_id=case.case_id,
        owner_id=case.owner_id,
    )


def working_days_before(calendar: WorkingDayCalendar, day: date, n: int) -> date:
    """The day `n` working days before `day` (as the DfE's rules count back from the reference
    date)."""
    found = 0
    while found < n:
        day -= timedelta(days=1)
        found += calendar.is_working_day(day)
    return day


def child_tasks(
    child: CensusChild, year: CensusYear, calendar: WorkingDayCalendar
) -> list[CensusTask]:
    """The tasks of one child of the return (pure)."""
    if not child.cases:
        return []
    latest = child.cases[-1]
    tasks: list[CensusTask] = []
    if child.date_of_birth is None and child.expected_date_of_birth is None:
        tasks.append(_task(latest, "8525Q", "date_of_birth", "date of birth missing"))
    if child.sex is None and child.date_of_birth is not None:
        tasks.append(_task(latest, "4180", "sex", "sex missing"))
    if child.ethnicity is None:
        tasks.append(_task(latest, "4220", "ethnicity", "ethnicity missing"))
    if child.upn is not None:
        try:
            normalise_upn(child.upn)
        except InvalidIdentifier as exc:
            tasks.append(_task(latest, "1510", "upn", f"UPN invalid ({exc})"))
    assessment_limit = working_days_before(calendar, year.reference_date, 45)
    icpc_limit = working_days_before(calendar, year.reference_date, 15)
    spans: list[tuple[date, date, CaseEpisodes]] = []
    for case in child.cases:
        for r in case.referrals:
            spans.append((r.referral_date, r.closure_date or year.reference_date, case))
            day = r.referral_date.isoformat()
            if r.source is None:
                tasks.append(
                    _task(case, "8866", "referral_source", f"referral source missing ({day})")
                )
            if r.primary_need is None and not r.no_further_action:
                tasks.append(_task(case, "8650", "primary_need", f"primary need missing ({day})"))
            if r.closure_date is not None and r.reason_for_closure is None:
                tasks.append(
                    _task(case, "8640", "reason_for_closure", f"reason for closure missing ({day})")
                )
            for a in r.assessments:
                start = a.start.isoformat()
                if a.start < r.referral_date:
                    tasks.append(
                        _task(case, "1103", "assessment", f"assessment {start} before its referral")
                    )
                if a.authorised is None and a.start < year.start:
                    tasks.append(
                        _task(
                            case,
                            "8736",
                            "assessment",
                            f"assessment {start} not authorised since the year before",
                        )
                    )
                elif a.authorised is None and a.start < assessment_limit:
                    tasks.append(
                        _task(
                            case,
                            "8670Q",
                            "assessment",
                            f"assessment {start} not authorised 45 working days before the "
                            f"year's end ({assessment_limit.isoformat()})",
                        )
                    )
                if a.authorised is not None and not a.factors:
                    tasks.append(
                        _task(case, "8897Q", "factors", f"assessment factors missing ({start})")
                    )
            for s in r.section_47s:
                start = s.start.isoformat()
                if s.start < r.referral_date:
                    tasks.append(
                        _task(case, "2889", "section_47", f"Section 47 {start} before its referral")
                    )
                if s.icpc is None and not s.icpc_not_required and s.start < icpc_limit:
                    tasks.append(
                        _task(
                            case,
                            "8675Q",
                            "icpc",
                            f"Section 47 {start} with no initial conference 15 working days "
                            f"before the year's end ({icpc_limit.isoformat()})",
                        )
                    )
                if s.icpc is not None and s.icpc.weekday() >= 5:
                    tasks.append(
                        _task(case, "8875", "icpc", f"initial conference on a weekend ({s.icpc})")
                    )
            for p in r.plans:
                if p.initial_category is None or p.latest_category is None:
                    tasks.append(
                        _task(
                            case,
                            "8905",
                            "category_of_abuse",
                            f"category of abuse missing (plan {p.start.isoformat()})",
                        )
                    )
    spans.sort(key=lambda s: (s[0], s[2].case_id))
    for (_, end, _), (begun, _, case) in itertools.pairwise(spans):
        if begun <= end:
            tasks.append(
                _task(
                    case,
                    "8820",
                    "referral",
                    f"referral {begun.isoformat()} overlaps an open referral of the same child",
                )
            )
    return tasks


def census_tasks(
    sf: SessionFactory,
    year: CensusYear,
    *,
    calendar: WorkingDayCalendar | None = None,
    batch_size: int = 500,
) -> list[CensusTask]:
    """Every task of the year's return, sorted by case reference and child."""
    cal = calendar or calendar_for(Region.ENGLAND_AND_WALES)
    tasks: list[CensusTask] = []
    for child in census_children(sf, year, batch_size=batch_size):
        tasks.extend(child_tasks(child, year, cal))
    return sorted(tasks)


def notify_owners(sf: SessionFactory, tasks: Iterable[CensusTask], *, at: datetime) -> int:
    """Tell each owner, by a `census` work notice, of each of their cases with tasks: one notice
    per owner and case, none for a case already told on the same London date (a retried run
    tells nobody twice), none for an unallocated case. Returns the notices written."""
    pairs = sorted({(t.owner_id, t.case_id) for t in tasks if t.owner_id is not None})
    if not pairs:
        return 0
    since = end_of_london_day(london_date(at) - timedelta(days=1))
    written = 0
    with sf.begin() as session:
        told = {
            (r.user_id, r.case_id)
            for r in session.execute(
                select(user_notices.c.user_id, user_notices.c.case_id).where(
                    user_notices.c.kind == NoticeKind.CENSUS.value,
                    user_notices.c.created_at >= since,
                )
            )
        }
        for owner_id, case_id in pairs:
            if (owner_id, case_id) in told:
                continue
            notify(session, user_id=owner_id, kind=NoticeKind.CENSUS, case_id=case_id, at=at)
            written += 1
    return written


def tasks_of_owner(tasks: list[CensusTask], owner_id: int) -> Iterator[CensusTask]:
    """The tasks for one owner."""
    return (t for t in tasks if t.owner_id == owner_id)


def owner_names(sf: SessionFactory) -> dict[int, str]:
    """Usernames by user id (to print who each task is for)."""
    with sf() as session:
        return {r.id: r.username for r in session.execute(select(users.c.id, users.c.username))}
