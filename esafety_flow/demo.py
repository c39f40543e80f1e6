"""`esafety demo`: a demo database with three teams, a user per role and about fifty realistic
cases across every pathway and deadline status, loaded through the services with times in the
past (so some deadlines are overdue, some met, some missed).

The demo has its own SQLite file (`esafety-demo.db` in the current directory, or `path`), which
is deleted and rebuilt on every run: running it twice gives the same users and a fresh set of
cases, never duplicates, and never touches the database of `esafety serve`.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from calendars import LONDON, Clock, SystemClock, WorkingDayCalendar, london_date
from esafety_flow.bootstrap import App, bootstrap
from esafety_flow.settings import Settings
from esafety_flow.web.security import hash_password
from states import Event
from workflows import Case, TransitionRefused, accounts, casework, deadline_alerts, organisation

__all__ = [
    "DEMO_DATABASE",
    "DEMO_PASSWORD",
    "DEMO_TOKEN_USERS",
    "DemoAccounts",
    "DemoUser",
    "demo_settings",
    "load_demo",
    "load_demo_into",
]

DEMO_DATABASE = Path("esafety-demo.db")
DEMO_PASSWORD = "demo-password"
DEMO_TOKEN_USERS = ("pat", "lee")
"""Users who get an API token when the demo loads (a new random one each time, printed by
`esafety demo`: no token is published anywhere)."""


@dataclass(frozen=True)
class DemoAccounts:
    """What the demo loaded: (username, role, password) per user, and the API tokens issued."""

    users: list[tuple[str, str, str]]
    tokens: dict[str, str]


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    role: str
    team: str | None


TEAMS = ("North Safeguarding", "South Safeguarding", "Online Harm Hub")
USERS = (
    DemoUser("pat", "Pat Practitioner", "practitioner", "North Safeguarding"),
    DemoUser("sam", "Sam Social-Worker", "practitioner", "North Safeguarding"),
    DemoUser("priya", "Priya Patel", "practitioner", "South Safeguarding"),
    DemoUser("omar", "Omar Okafor", "practitioner", "Online Harm Hub"),
    DemoUser("morgan", "Morgan Manager", "manager", "North Safeguarding"),
    DemoUser("nina", "Nina Newton", "manager", "South Safeguarding"),
    DemoUser("hannah", "Hannah Head-of-Service", "manager", "Online Harm Hub"),
    DemoUser("lee", "Lee LADO", "lado", None),
    DemoUser("ada", "Ada Admin", "admin", None),
    DemoUser("audrey", "Audrey Auditor", "auditor", None),
)

DISCUSSION: dict[str, Any] = {
    "attendees": ["police", "childrens_social_care", "health"],
    "considerations": {
        "household_children_safety": "Children safe with the non-abusing parent; plan agreed",
        "image_children_safety": "Children in the images identified and seen",
        "when_to_inform_alleged_abuser": "After police arrest, agreed with police",
        "criminal_investigation": True,
        "section_47_threshold_met": True,
        "icpc_required": True,
    },
}

Step = tuple[float, Event, dict[str, Any] | None]  # (days after the concern, event, data)


def _child(name: str, age: int, **flags: bool) -> dict[str, Any]:
    return {"name": name, "age": age, **flags}


_SEXES = ("F", "M")
_ETHNICITIES = ("WBRI", "WBRI", "WBRI", "MWBC", "APKN", "BAFR", "WOTH", "AIND", "BCRB", "CHNE")
_SOURCES = ("5A", "3A", "1A", "2A", "4", "5B", "6")
_NEEDS = ("N1", "N1", "N2", "N4")
_CATEGORIES = ("SAB", "EMO", "NEG")


def _census_facts(facts: dict[str, Any], today: date, n: int) -> dict[str, Any]:
    """The facts with each child's CIN census items (DESIGN 2.4): a date of birth in place of the
    age, sex and ethnicity, as a practitioner records them."""
    children = []
    for i, child in enumerate(facts.get("children", [])):
        child = dict(child)
        age = child.pop("age", None)
        if age is not None and "date_of_birth" not in child:
            born = today - timedelta(days=365 * age + 30 + (7 * n + 3 * i) % 300)
            child["date_of_birth"] = born.isoformat()
        child.setdefault("sex", _SEXES[(n + i) % 2])
        child.setdefault("ethnicity", _ETHNICITIES[(3 * n + i) % len(_ETHNICITIES)])
        children.append(child)
    return {**facts, "children": children}


_MEETINGS = frozenset({Event.HOLD_CONFERENCE, Event.HOLD_REVIEW_CONFERENCE})
"""Conferences are held on working days (a conference on a weekend is refused by the CIN census,
rule 8875)."""


def _on_a_working_day(at: datetime, calendar: WorkingDayCalendar) -> datetime:
    """`at`, or the same time on the next working day (London dates)."""
    local = at.astimezone(LONDON)
    while not calendar.is_working_day(local.date()):
        local = datetime.combine(local.date() + timedelta(days=1), local.time(), tzinfo=LONDON)
    return local


def _census_data(event: Event, data: dict[str, Any] | None, n: int) -> dict[str, Any] | None:
    """The event's data with the CIN census items captured where they arise (DESIGN 6.1)."""
    if event is Event.REFER:
        return {
            "referral_source": _SOURCES[n % len(_SOURCES)],
            "primary_need": _NEEDS[n % len(_NEEDS)],
            **(data or {}),
        }
    if event is Event.CLOSE:
        return {"reason_for_closure": "RC8", **(data or {})}
    if event is Event.HOLD_CONFERENCE and (data or {}).get("outcome") == "child_protection_plan":
        return {"category_of_abuse": _CATEGORIES[n % len(_CATEGORIES)], **(data or {})}
    return data


def _pathways(
    rng: random.Random, base: datetime
) -> list[tuple[str, dict[str, Any], list[Step], bool]]:
    """(owner team kind, facts, steps, restricted to LADO) for every demo case."""
    names = ["A.B.", "C.D.", "E.F.", "G.H.", "J.K.", "L.M.", "N.P.", "R.S.", "T.U.", "W.Y."]
    out: list[tuple[str, dict[str, Any], list[Step], bool]] = []

    def child(age: int, **flags: bool) -> dict[str, Any]:
        return _child(rng.choice(names), age, **flags)

    agreement = {
        "supervision_of_contact": "All contact supervised by the mother",
        "intimate_care": "Mother only",
        "entry_to_childrens_rooms": "Not at any time",
        "sleepovers": "None at the home",
        "review_date": (base + timedelta(days=40)).date().isoformat(),
    }
    for i in range(6):  # under-13 imagery: same-day referral (some not yet made: overdue)
        steps: list[Step] = []
        if i >= 2:
            steps.append((0.1, Event.REFER, {"referred_to": ["police", "childrens_social_care"]}))
        if i >= 4:
            steps.append((0.9, Event.START_ASSESSMENT, None))
        out.append(
            (
                "practitioner",
                {
                    "category": "youth_produced_sexual_imagery",
                    "children": [child(12, shown_in_images=True)],
                    "imagery": {"sexual_acts": True},
                },
                steps,
                False,
            )
        )
    for i in range(5):  # consensual imagery between 15-year-olds: handled by the setting
        steps = (
            []
            if i < 2
            else [
                (
                    3,
                    Event.CLOSE,
                    {
                        "outcome": "early_help_completed",
                        "reason": "Education and support given by the school",
                    },
                )
            ]
        )
        out.append(
            (
                "practitioner",
                {
                    "category": "youth_produced_sexual_imagery",
                    "children": [child(15, shown_in_images=True), child(15)],
                    "imagery": {"sexual_acts": False},
                },
                steps,
                False,
            )
        )
    for i in range(10):  # adult with images of own children: urgent strategy discussion, s47
        steps = [
            (0.05, Event.REFER, {"referred_to": ["police", "childrens_social_care"]}),
            (0.1, Event.CONVENE_STRATEGY_DISCUSSION, {"urgent": True}),
        ]
        if i >= 2:
            steps.append(
                (
                    0.3,
                    Event.HOLD_STRATEGY_DISCUSSION,
                    {**DISCUSSION, "leave_home_decision": "stays", "working_agreement": agreement},
                )
            )
            steps.append((0.35, Event.START_SECTION_47, None))
        if i >= 5:
            steps.append(
                (14 + 10 * (i % 2), Event.HOLD_CONFERENCE, {"outcome": "child_protection_plan"})
            )
        if i >= 7:
            steps.append((28, Event.HOLD_CORE_GROUP, None))
        out.append(
            (
                "practitioner",
                {
                    "category": "adult_indecent_images",
                    "children": [
                        child(
                            6,
                            lives_with_alleged_abuser=True,
                            known_to_alleged_abuser=True,
                            shown_in_images=True,
                        )
                    ],
                    "alleged_abuser": {"kind": "adult", "lives_with_children": True},
                    "risk_factors": ["images_of_own_children"],
                },
                steps,
                False,
            )
        )
    for i in range(6):  # a teacher: allegations (LADO) track
        steps = [(0.2, Event.REFER_TO_LADO, None)]
        if i >= 2:
            steps.append((4 if i % 2 else 9, Event.HOLD_LADO_STRATEGY_MEETING, None))
        if i >= 4:
            steps.append((25, Event.RECORD_ALLEGATION_OUTCOME, {"outcome": "unsubstantiated"}))
            steps.append((26, Event.CLOSE_ALLEGATION, None))
        out.append(
            (
                "lado",
                {
                    "category": "staff_online_conduct",
                    "children": [child(14)],
                    "alleged_abuser": {
                        "kind": "adult",
                        "position_of_trust": True,
                        "role": "teacher",
                    },
                },
                steps,
                True,
            )
        )
    for i in range(9):  # grooming: single assessment, met in time or late
        steps = [
            (0.2, Event.REFER, {"referred_to": ["childrens_social_care"]}),
            (0.8 + (2 if i == 0 else 0), Event.START_ASSESSMENT, None),
        ]
        if i >= 3:
            steps.append((50 if i % 2 else 75, Event.COMPLETE_ASSESSMENT, {"factors": ["4A"]}))
        out.append(
            (
                "practitioner",
                {
                    "category": "online_grooming",
                    "children": [child(13)],
                    "alleged_abuser": {"kind": "unknown"},
                    "significant_harm_suspected": False,
                },
                steps,
                False,
            )
        )
    for i in range(4):  # online bullying stepped down to early help
        out.append(
            (
                "practitioner",
                {"category": "online_bullying", "children": [child(11)]},
                [
                    (0.3, Event.REFER, {"referred_to": ["childrens_social_care"]}),
                    (1 + i % 2, Event.STEP_DOWN, None),
                ],
                False,
            )
        )
    for _ in range(4):  # harmful content, closed with no further action
        out.append(
            (
                "practitioner",
                {"category": "exposure_to_harmful_content", "children": [child(10)]},
                [
                    (0.3, Event.REFER, {"referred_to": ["childrens_social_care"]}),
                    (
                        1,
                        Event.CLOSE,
                        {
                            "outcome": "no_further_action",
                            "reason": "Parents have installed filters; no further concern",
                        },
                    ),
                ],
                False,
            )
        )
    for i in range(6):  # sexual communication: strategy discussion convened, not yet held
        out.append(
            (
                "practitioner",
                {
                    "category": "sexual_communication",
                    "children": [child(14)],
                    "alleged_abuser": {"kind": "adult"},
                    "significant_harm_suspected": True,
                },
                [
                    (0.2, Event.REFER, {"referred_to": ["police", "childrens_social_care"]}),
                    (0.6, Event.CONVENE_STRATEGY_DISCUSSION, {"urgent": i % 2 == 0}),
                ],
                False,
            )
        )
    return out


def demo_settings(path: Path = DEMO_DATABASE) -> Settings:
    return Settings(database_url=f"sqlite:///{path}")


def _reset(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        p = Path(f"{path}{suffix}")
        if p.exists():
            p.unlink()


def load_demo(path: Path = DEMO_DATABASE, clock: Clock | None = None) -> DemoAccounts:
    """Reset the demo database at `path` and load it; returns its accounts and tokens."""
    _reset(path)
    app = bootstrap(demo_settings(path), clock=clock or SystemClock())
    try:
        return load_demo_into(app)
    finally:
        app.close()


def load_demo_into(app: App, *, seed: int = 4, cases: bool = True) -> DemoAccounts:
    """Load the demo users, teams and (unless `cases` is False) cases into `app`'s database;
    issue an API token to each of DEMO_TOKEN_USERS."""
    sf = app.session_factory
    now = app.clock.now()
    password_hash = hash_password(DEMO_PASSWORD)
    team_ids = {name: organisation.create_team(sf, name=name) for name in TEAMS}
    user_ids: dict[str, int] = {}
    for u in USERS:
        user_ids[u.username] = organisation.create_user(
            sf,
            username=u.username,
            display_name=u.display_name,
            email=f"{u.username}@example.org",
            role=u.role,
            at=now - timedelta(days=120),
            team_id=team_ids[u.team] if u.team else None,
            password_hash=password_hash,
        )
    managers = {
        "North Safeguarding": "morgan",
        "South Safeguarding": "nina",
        "Online Harm Hub": "hannah",
    }
    for team, manager in managers.items():
        organisation.set_team_managers(
            sf, team_ids[team], manager_id=user_ids[manager], head_of_service_id=user_ids["hannah"]
        )
    if cases:
        _load_cases(app, user_ids, team_ids, now, seed)
        _load_work(app, user_ids, team_ids, now)
        _load_people(app, user_ids, team_ids, now)
        # one deadline sweep now, as the worker would have run: the alerts of overdue, due-today
        # and due-soon deadlines are in the outbox and on each user's alert list (not delivered:
        # the demo has no mail server)
        deadline_alerts.sweep(sf, now, app.calendar_for, app.policy_for)
    tokens = {
        name: accounts.issue_token(
            sf, user_id=user_ids[name], name="demo", at=now, by_user_id=None
        )[0]
        for name in DEMO_TOKEN_USERS
    }
    return DemoAccounts([(u.username, u.role, DEMO_PASSWORD) for u in USERS], tokens)


def _load_cases(
    app: App, user_ids: dict[str, int], team_ids: dict[str, int], now: datetime, seed: int
) -> None:
    rng = random.Random(seed)
    sf = app.session_factory
    owners: Sequence[tuple[str, str]] = (
        ("pat", "North Safeguarding"),
        ("pat", "North Safeguarding"),
        ("sam", "North Safeguarding"),
        ("priya", "South Safeguarding"),
        ("omar", "Online Harm Hub"),
    )
    calendar = app.calendar_for(app.region)
    today = london_date(now)
    for n, (kind, facts, steps, restricted) in enumerate(_pathways(rng, now)):
        days_ago = [0, 1, 2, 5, 9, 16, 23, 30, 44, 58, 72, 84][n % 12]
        start_day = today - timedelta(days=days_ago)
        t0 = datetime.combine(start_day, time(9, 15) if days_ago else time(0, 5), tzinfo=LONDON)
        if t0 > now:
            t0 = now - timedelta(minutes=30)
        if kind == "lado":
            owner, team = "lee", "Online Harm Hub"
        else:
            owner, team = owners[n % len(owners)]
        case = casework.raise_concern(
            sf,
            facts=_census_facts(facts, today, n),
            at=t0,
            actor=owner,
            region=app.region,
            policy=app.policy,
            calendar=calendar,
            owner_id=user_ids[owner],
            team_id=team_ids[team],
        )
        assert case.id is not None
        if restricted:
            casework.set_case_managers(sf, case.id, [user_ids["hannah"]])
        for offset, event, data in steps:
            at = t0 + timedelta(days=offset)
            if event in _MEETINGS:
                at = _on_a_working_day(at, calendar)
            if at >= now:
                break
            try:
                casework.apply_event(
                    sf,
                    case.id,
                    event,
                    at=at,
                    actor=owner,
                    data=_census_data(event, data, n),
                    calendar=calendar,
                    policy=app.policy,
                )
            except TransitionRefused as exc:
                raise DemoError(
                    f"demo case {n} ({facts['category']}): {event.value} refused: {exc.reason}"
                ) from exc


def _load_work(app: App, user_ids: dict[str, int], team_ids: dict[str, int], now: datetime) -> None:
    """Who does the work (DESIGN 2.5): cases waiting on the unallocated lists (one transferred
    to another team), single assessments awaiting authorisation (one returned and submitted
    again), notes with an amendment and a note recorded late, management oversight recorded on
    one child protection plan (the others are overdue), and chronologies with significant
    events."""
    sf = app.session_factory
    calendar = app.calendar_for(app.region)
    north = team_ids["North Safeguarding"]

    def at(days_ago: float, hour: int = 10) -> datetime:
        day = london_date(now) - timedelta(days=int(days_ago))
        moment = datetime.combine(day, time(hour, 0), tzinfo=LONDON)
        return min(moment, now - timedelta(minutes=5))

    def concern(facts: dict[str, Any], owner: str | None, team: int, when: datetime) -> int:
        case = casework.raise_concern(
            sf,
            facts=_census_facts(facts, london_date(now), when.day),
            at=when,
            actor=owner or "morgan",
            region=app.region,
            policy=app.policy,
            calendar=calendar,
            owner_id=user_ids[owner] if owner else None,
            team_id=team,
        )
        assert case.id is not None
        return case.id

    def fire(
        case_id: int,
        event: Event,
        by: str,
        when: datetime,
        data: dict[str, Any] | None = None,
        recorded: datetime | None = None,
    ) -> None:
        if event in _MEETINGS and _on_a_working_day(when, calendar) < now:
            when = _on_a_working_day(when, calendar)
        casework.apply_event(
            sf,
            case_id,
            event,
            at=when,
            recorded_at=recorded,
            actor=by,
            data=_census_data(event, data, case_id),
            calendar=calendar,
            policy=app.policy,
        )

    refer = {"referred_to": ["childrens_social_care"]}
    # waiting for a worker: a concern from the front door, and one transferred to South
    concern({"category": "online_bullying", "children": [_child("P.Q.", 12)]}, None, north, at(3))
    moved = concern(
        {"category": "harmful_websites", "children": [_child("S.T.", 15)]}, "sam", north, at(9)
    )
    fire(moved, Event.REFER, "sam", at(9, 11), refer)
    fire(
        moved,
        Event.TRANSFER,
        "morgan",
        at(2),
        {"team": "South Safeguarding", "reason": "The family has moved to the south of the county"},
    )
    # single assessments awaiting a manager's authorisation, one of them returned first
    grooming = {"category": "online_grooming", "children": [_child("M.N.", 13)]}
    for owner, started, submitted, returned in (
        ("pat", 30, 3, None),
        ("sam", 52, 1, None),
        ("pat", 20, 2, 8),
    ):
        case_id = concern(grooming, owner, north, at(started, 9))
        fire(case_id, Event.REFER, owner, at(started, 11), refer)
        fire(case_id, Event.START_ASSESSMENT, owner, at(started - 1))
        if returned is not None:
            fire(case_id, Event.COMPLETE_ASSESSMENT, owner, at(returned + 2), {"factors": ["4A"]})
            fire(
                case_id,
                Event.RETURN_ASSESSMENT,
                "morgan",
                at(returned, 15),
                {"reason": "Add the school's view and the child's own words"},
            )
        fire(case_id, Event.COMPLETE_ASSESSMENT, owner, at(submitted), {"factors": ["4A", "21"]})
        if owner == "pat" and returned is None:
            # notes: a visit written up late and then amended, a contact, a supervision
            visit = {
                "kind": "visit",
                "text": "Home visit. Seen alone in their bedroom; talked about the online friend "
                "who asked for photographs. Mother present for the rest of the visit.",
                "significant": True,
            }
            fire(case_id, Event.ADD_NOTE, owner, at(started - 2, 16), visit, recorded=at(10))
            last = casework.get_case(sf, case_id).history[-1].seq
            fire(
                case_id,
                Event.ADD_NOTE,
                owner,
                at(started - 2, 16),
                {
                    **visit,
                    "text": "Home visit. Seen alone in the living room (not the bedroom); talked "
                    "about the online friend who asked for photographs. Mother present for the "
                    "rest of the visit.",
                    "amends": last,
                },
                recorded=at(9),
            )
            fire(
                case_id,
                Event.ADD_NOTE,
                owner,
                at(started - 5, 11),
                {"kind": "contact", "text": "Phoned the school: attendance good, no concerns."},
            )
            fire(
                case_id,
                Event.ADD_NOTE,
                "morgan",
                at(started - 8, 14),
                {
                    "kind": "supervision",
                    "text": "Supervision: agreed to complete the assessment this week.",
                    "significant": True,
                },
            )
    # two child protection plans: management oversight recorded on one, overdue on the other
    images = {
        "category": "adult_indecent_images",
        "children": [
            _child(
                "K.L.",
                7,
                lives_with_alleged_abuser=True,
                known_to_alleged_abuser=True,
                shown_in_images=True,
            )
        ],
        "alleged_abuser": {"kind": "adult", "lives_with_children": True},
    }
    agreement = {
        "supervision_of_contact": "All contact supervised by the mother",
        "intimate_care": "Mother only",
        "entry_to_childrens_rooms": "Not at any time",
        "sleepovers": "None at the home",
        "review_date": (london_date(now) + timedelta(days=30)).isoformat(),
    }
    for owner, started, oversight_days_ago in (("pat", 75, None), ("sam", 70, 3)):
        case_id = concern(images, owner, north, at(started, 9))
        fire(
            case_id,
            Event.REFER,
            owner,
            at(started, 10),
            {"referred_to": ["police", "childrens_social_care"]},
        )
        fire(case_id, Event.CONVENE_STRATEGY_DISCUSSION, owner, at(started, 11), {"urgent": True})
        fire(
            case_id,
            Event.HOLD_STRATEGY_DISCUSSION,
            owner,
            at(started, 15),
            {**DISCUSSION, "leave_home_decision": "stays", "working_agreement": agreement},
        )
        fire(case_id, Event.START_SECTION_47, owner, at(started, 16))
        fire(
            case_id,
            Event.ADD_NOTE,
            owner,
            at(started - 3, 14),
            {
                "kind": "visit",
                "text": "Joint visit with police. Children seen; mother understands the working "
                "agreement and has signed it.",
                "significant": True,
            },
        )
        fire(
            case_id,
            Event.HOLD_CONFERENCE,
            owner,
            at(started - 14),
            {"outcome": "child_protection_plan"},
        )
        if oversight_days_ago is not None:
            fire(
                case_id,
                Event.ADD_NOTE,
                "morgan",
                at(oversight_days_ago, 12),
                {
                    "kind": "management_oversight",
                    "text": "Oversight: plan on track, core group met, next review booked.",
                    "significant": True,
                },
            )


def _load_people(
    app: App, user_ids: dict[str, int], team_ids: dict[str, int], now: datetime
) -> None:
    """People (DESIGN 2.4) and late recording (DESIGN 2.3): children with their census items and
    valid identifiers, one of them in two cases (linked by NHS number: "known to us"), one a new
    concern may offer as a likely match (Jordan Price, born 3 September 2015), an adult in a
    position of trust named in an earlier LADO case and again in a new one, and a referral
    recorded late."""
    sf = app.session_factory
    calendar = app.calendar_for(app.region)
    north, hub = team_ids["North Safeguarding"], team_ids["Online Harm Hub"]

    def at(days_ago: int, hour: int = 10) -> datetime:
        day = london_date(now) - timedelta(days=days_ago)
        return min(datetime.combine(day, time(hour, 0), tzinfo=LONDON), now - timedelta(minutes=5))

    def concern(facts: dict[str, Any], owner: str, team: int, when: datetime) -> Case:
        return casework.raise_concern(
            sf,
            facts=facts,
            at=when,
            actor=owner,
            region=app.region,
            policy=app.policy,
            calendar=calendar,
            owner_id=user_ids[owner],
            team_id=team,
        )

    riley = {
        "name": "Riley Evans",
        "date_of_birth": "2012-05-14",
        "sex": "F",
        "ethnicity": "WBRI",
        "nhs_number": "9434765919",
        "upn": "M201262510006",
        "disabilities": ["NONE"],
    }
    concern({"category": "online_bullying", "children": [riley]}, "pat", north, at(40))
    again = concern(
        {"category": "online_grooming", "children": [{**riley, "name": "Riley Evans-Hughes"}]},
        "sam",
        north,
        at(8, 9),
    )
    assert again.id is not None
    # the referral was phoned in a week ago and typed in this morning: recorded late
    casework.apply_event(
        sf,
        again.id,
        Event.REFER,
        at=at(7, 11),
        recorded_at=at(0, 9),
        actor="sam",
        data={
            "referred_to": ["childrens_social_care"],
            "referral_source": "2A",
            "primary_need": "N1",
        },
        calendar=calendar,
        policy=app.policy,
    )
    jordan = {
        "name": "Jordan Price",
        "date_of_birth": "2015-09-03",
        "sex": "M",
        "ethnicity": "BCRB",
        "nhs_number": "4010232137",
        "upn": "B201262510007",
        "disabilities": ["COMM"],
        "sen": True,
    }
    concern({"category": "sexual_communication", "children": [jordan]}, "pat", north, at(12))
    coach = {
        "kind": "adult",
        "name": "Daniel Hart",
        "date_of_birth": "1984-11-02",
        "position_of_trust": True,
        "role": "football coach",
        "employment_sector": "sport",
    }
    earlier = concern(
        {
            "category": "staff_online_conduct",
            "children": [{"name": "Casey Lee", "age": 13}],
            "alleged_abuser": coach,
        },
        "lee",
        hub,
        at(60),
    )
    assert earlier.id is not None
    assert earlier.facts.alleged_abuser is not None
    person = earlier.facts.alleged_abuser.person_id
    for case in (
        earlier,
        concern(
            {
                "category": "sexual_communication",
                "children": [{"name": "Morgan Shaw", "age": 14}],
                "alleged_abuser": {**coach, "person_id": person},
            },
            "lee",
            hub,
            at(6),
        ),
    ):
        assert case.id is not None
        casework.set_case_managers(sf, case.id, [user_ids["hannah"]])


class DemoError(RuntimeError):
    """A demo pathway no longer fits the procedures (a bug in the demo data)."""
