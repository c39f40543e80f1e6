"""A generated year of casework for the CIN census: children whose histories follow the procedure
(DESIGN 2.1, 3.1), recorded through the services (`casework.raise_concern`, `apply_event`) with
dates on England's working days, so that the census of that year exports clean (`.ci/run`
validates it with the DfE's rules) and its volumes can be measured.

    esafety returns sample-year --year 2026 --children 2000 [--database-url URL]

Each child is one case, raised on a working day of the reporting year and referred the same day
with a referral source and primary need; then, by a seeded draw:

- a referral with no further action (stepped down to early help the next working day);
- a single assessment submitted and authorised by the team manager within 45 working days, then
  closed (RC8) or stepped down to early help (RC9);
- a strategy discussion, a Section 47 enquiry and an initial child protection conference within
  its 15 working days, the assessment authorised after it: no plan (the case closed) or a child
  protection plan with its category of abuse, review conferences about every six months, and
  an end;
- an assessment still running at the year's end, started less than 45 working days before it.

Every step is counted in working days from the one before, on the calendar of the case's region
(England's bank holidays: Easter, the May holidays, Christmas), and nothing is dated after the
reference date.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from calendars import LONDON
from esafety_flow.bootstrap import App
from states import Event
from workflows import casework, organisation

__all__ = ["SampleYear", "load_sample_year"]

_SEXES = ("F", "M")
_ETHNICITIES = ("WBRI", "WBRI", "WBRI", "WBRI", "MWBC", "APKN", "BAFR", "WOTH", "AIND", "CHNE")
_SOURCES = ("1A", "1B", "2A", "2B", "3A", "3B", "3E", "4", "5A", "5B", "6", "7", "8", "9", "10")
_NEEDS = ("N1", "N1", "N1", "N2", "N3", "N4", "N5", "N6", "N8")
_CATEGORIES = ("NEG", "PHY", "EMO", "SAB", "MUL")
_FACTORS = ("4A", "4B", "8B", "2A", "3A", "21", "16A", "22A", "6C", "1B")
_DISCUSSION: dict[str, Any] = {
    "attendees": ["police", "childrens_social_care", "health"],
    "considerations": {
        "household_children_safety": "Children safe at home with a safety plan",
        "image_children_safety": "No images of other children known",
        "when_to_inform_alleged_abuser": "After the police have spoken to them",
        "criminal_investigation": True,
        "section_47_threshold_met": True,
        "icpc_required": True,
    },
}


@dataclass(frozen=True)
class SampleYear:
    """What was loaded: the number of cases and of events recorded."""

    cases: int
    events: int


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=LONDON)


def load_sample_year(app: App, *, year: int, children: int, seed: int = 2026) -> SampleYear:
    """Record `children` cases of the reporting year ending 31 March `year` into `app`'s
    database (a team with a worker and a manager is added: `sample-worker`, `sample-manager`)."""
    sf = app.session_factory
    calendar = app.calendar_for(app.region)
    rng = random.Random(seed)
    start, end = date(year - 1, 4, 1), date(year, 3, 31)
    created = _at(start, 8) - timedelta(days=30)
    team = organisation.create_team(sf, name=f"Census sample {year} {seed}")
    worker, manager = f"sample-worker-{year}-{seed}", f"sample-manager-{year}-{seed}"
    worker_id = organisation.create_user(
        sf,
        username=worker,
        display_name="Sample Worker",
        email="sample-worker@example.org",
        role="practitioner",
        at=created,
        team_id=team,
    )
    manager_id = organisation.create_user(
        sf,
        username=manager,
        display_name="Sample Manager",
        email="sample-manager@example.org",
        role="manager",
        at=created,
        team_id=team,
    )
    organisation.set_team_managers(sf, team, manager_id=manager_id, head_of_service_id=None)
    first = calendar.add_working_days(start, 1) if not calendar.is_working_day(start) else start
    days = [
        first + timedelta(days=i)
        for i in range((end - first).days + 1)
        if calendar.is_working_day(first + timedelta(days=i))
    ]
    events = 0
    for n in range(children):
        raised = rng.choice(days)
        age = rng.randint(0, 17)
        born = raised - timedelta(days=365 * age + rng.randint(1, 360))
        facts = {
            "category": rng.choice(("online_grooming", "sexual_communication", "online_bullying")),
            "children": [
                {
                    "name": f"Child {n}",
                    "date_of_birth": born.isoformat(),
                    "sex": rng.choice(_SEXES),
                    "ethnicity": rng.choice(_ETHNICITIES),
                }
            ],
            "alleged_abuser": {"kind": "unknown"},
        }
        case = casework.raise_concern(
            sf,
            facts=facts,
            at=_at(raised, 9),
            actor=worker,
            region=app.region,
            policy=app.policy,
            calendar=calendar,
            owner_id=worker_id,
            team_id=team,
        )
        assert case.id is not None
        case_id = case.id

        def fire(
            event: Event,
            day: date,
            hour: int,
            data: dict[str, Any] | None = None,
            by: str = worker,
            case_id: int = case_id,
        ) -> bool:
            nonlocal events
            if day > end:
                return False
            casework.apply_event(
                sf,
                case_id,
                event,
                at=_at(day, hour),
                actor=by,
                data=data,
                calendar=calendar,
                policy=app.policy,
            )
            events += 1
            return True

        def later(day: date, low: int, high: int) -> date:
            return calendar.add_working_days(day, rng.randint(low, high))

        refer = {
            "referred_to": ["childrens_social_care"],
            "referral_source": rng.choice(_SOURCES),
            "primary_need": rng.choice(_NEEDS),
        }
        fire(Event.REFER, raised, 10, refer)
        draw = rng.random()
        if draw < 0.25:
            fire(Event.STEP_DOWN, later(raised, 1, 1), 11)
            continue
        if draw < 0.65:
            _assessment_pathway(fire, later, raised, rng, manager)
            continue
        if draw < 0.9:
            _section_47_pathway(fire, later, raised, rng, manager)
            continue
        # an assessment running at the year's end, started in its last 45 working days
        begun = max(raised, days[-rng.randint(5, 40)])
        fire(Event.START_ASSESSMENT, begun, 12)
    return SampleYear(cases=children, events=events)


def _factors(rng: random.Random) -> list[str]:
    return sorted(set(rng.sample(_FACTORS, rng.randint(1, 3))) - {"21"}) or ["21"]


def _assess(fire: Any, later: Any, begun: date, rng: random.Random, manager: str) -> date | None:
    """Complete and authorise the running assessment; the authorisation date (None: the year
    ended first)."""
    submitted = later(begun, 5, 30)
    if not fire(Event.COMPLETE_ASSESSMENT, submitted, 14, {"factors": _factors(rng)}):
        return None
    authorised = later(submitted, 1, 8)
    if not fire(Event.AUTHORISE_ASSESSMENT, authorised, 15, by=manager):
        return None
    return authorised  # type: ignore[no-any-return]


def _assessment_pathway(
    fire: Any, later: Any, raised: date, rng: random.Random, manager: str
) -> None:
    begun = later(raised, 0, 1)
    fire(Event.START_ASSESSMENT, begun, 12)
    authorised = _assess(fire, later, begun, rng, manager)
    if authorised is None:
        return
    if rng.random() < 0.5:
        fire(Event.CLOSE, later(authorised, 1, 10), 16, _close("RC8"))
    else:
        fire(Event.STEP_DOWN, later(authorised, 1, 10), 16)


def _close(reason: str) -> dict[str, Any]:
    return {
        "outcome": "no_further_action",
        "reason": "Work with the family is complete",
        "reason_for_closure": reason,
    }


def _section_47_pathway(
    fire: Any, later: Any, raised: date, rng: random.Random, manager: str
) -> None:
    if not fire(Event.CONVENE_STRATEGY_DISCUSSION, raised, 11, {"urgent": False}):
        return
    held = later(raised, 0, 2)
    if not fire(Event.HOLD_STRATEGY_DISCUSSION, held, 12, _DISCUSSION):
        return
    if not fire(Event.START_SECTION_47, held, 13):
        return
    conference = later(held, 5, 14)  # within the 15 working days of the ICPC's target
    if rng.random() < 0.4:
        if not fire(Event.HOLD_CONFERENCE, conference, 14, {"outcome": "no_plan"}):
            return
        authorised = _assess(fire, later, conference, rng, manager)
        if authorised is not None:
            fire(Event.CLOSE, later(authorised, 1, 5), 16, _close("RC7"))
        return
    plan = {"outcome": "child_protection_plan", "category_of_abuse": rng.choice(_CATEGORIES)}
    if not fire(Event.HOLD_CONFERENCE, conference, 14, plan):
        return
    authorised = _assess(fire, later, conference, rng, manager)
    if authorised is None:
        return
    review = later(authorised, 40, 45)  # first review within three months of the ICPC
    for _ in range(rng.randint(1, 3)):
        if not fire(Event.HOLD_REVIEW_CONFERENCE, review, 11, {"outcome": "plan_continues"}):
            return
        review = later(review, 100, 120)
    fire(
        Event.HOLD_REVIEW_CONFERENCE,
        review,
        11,
        {"outcome": "plan_ended", "reason_for_closure": "RC7"},
    )
