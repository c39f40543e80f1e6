"""The timescale table (DESIGN 3.1) and policy variant files."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from calendars import (
    CalendarMonths,
    Counting,
    Region,
    SameDay,
    WorkingDays,
    calendar_for,
)
from states import (
    ENGLAND_2023,
    DeadlineKind,
    Event,
    OutOfHours,
    Policy,
    PolicyFileError,
    RecordedDate,
    UnknownPolicy,
    load_policy,
    policy_by_name,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "policies" / "exampleshire-2024.toml"


def test_every_kind_has_a_sourced_row() -> None:
    assert set(ENGLAND_2023.rules) == set(DeadlineKind)
    for rule in ENGLAND_2023.rules.values():
        assert rule.source.strip()
        assert rule.anchor.strip()


@pytest.mark.parametrize(
    ("kind", "duration"),
    [
        (DeadlineKind.IMMEDIATE_REFERRAL, SameDay()),
        (DeadlineKind.REFERRAL_DECISION, WorkingDays(1)),
        (DeadlineKind.STRATEGY_DISCUSSION, WorkingDays(1)),
        (DeadlineKind.SINGLE_ASSESSMENT, WorkingDays(45)),
        (DeadlineKind.INITIAL_CHILD_PROTECTION_CONFERENCE, WorkingDays(15)),
        (DeadlineKind.CORE_GROUP, WorkingDays(10)),
        (DeadlineKind.FIRST_REVIEW_CONFERENCE, CalendarMonths(3)),
        (DeadlineKind.REVIEW_CONFERENCE, CalendarMonths(6)),
        (DeadlineKind.LADO_REFERRAL, WorkingDays(1)),
        (DeadlineKind.LADO_STRATEGY_MEETING, WorkingDays(5)),
        (DeadlineKind.ALLEGATION_RESOLUTION, CalendarMonths(1)),
        (DeadlineKind.WORKING_AGREEMENT_REVIEW, RecordedDate("review_date")),
    ],
)
def test_england_2023_durations(kind: DeadlineKind, duration: object) -> None:
    assert ENGLAND_2023.rule(kind).duration == duration


def test_urgent_strategy_discussion_is_same_day() -> None:
    assert ENGLAND_2023.rule("strategy_discussion").urgent_duration == SameDay()


def test_allegation_resolution_escalates_at_3_and_12_months() -> None:
    rule = ENGLAND_2023.rule(DeadlineKind.ALLEGATION_RESOLUTION)
    assert rule.escalations == (CalendarMonths(3), CalendarMonths(12))


def test_rule_events_are_real_events() -> None:
    for rule in ENGLAND_2023.rules.values():
        for event in (*rule.started_by, *rule.met_by):
            assert isinstance(event, Event)
        assert rule.started_by


def test_single_assessment_due_on_a_saturday_referral() -> None:
    # referral Saturday 2026-03-07 10:00 London: day 0 is that Saturday, 1 working day is Monday
    anchor = datetime(2026, 3, 7, 10, 0, tzinfo=UTC)
    calendar = calendar_for(Region.ENGLAND_AND_WALES)
    due = ENGLAND_2023.rule("referral_decision").due(anchor, calendar)
    assert due.due_date == date(2026, 3, 9)
    urgent = ENGLAND_2023.rule("strategy_discussion").due(anchor, calendar, urgent=True)
    assert urgent.due_date == date(2026, 3, 7)


def test_recorded_date_rule_is_not_counted() -> None:
    calendar = calendar_for(Region.ENGLAND_AND_WALES)
    with pytest.raises(TypeError, match="recorded review_date"):
        ENGLAND_2023.rule("working_agreement_review").due(
            datetime(2026, 3, 7, tzinfo=UTC), calendar
        )


def test_policy_by_name() -> None:
    assert policy_by_name("england-2023") is ENGLAND_2023
    with pytest.raises(UnknownPolicy, match=r"unknown policy 'wales-2023'.*england-2023"):
        policy_by_name("wales-2023")


def test_example_policy_file() -> None:
    policy = load_policy(EXAMPLE)
    assert policy.name == "exampleshire-2024"
    sd = policy.rule(DeadlineKind.STRATEGY_DISCUSSION)
    assert sd.duration == WorkingDays(3)
    assert sd.urgent_duration == SameDay()
    assert sd.source == "Exampleshire local procedure 2024, 3.2"
    assert sd.met_by == ENGLAND_2023.rule(DeadlineKind.STRATEGY_DISCUSSION).met_by
    sa = policy.rule(DeadlineKind.SINGLE_ASSESSMENT)
    assert sa.counting is Counting.DAY_1
    assert sa.duration == WorkingDays(45, Counting.DAY_1)
    assert policy.rule("allegation_resolution").escalations[1] == CalendarMonths(6)
    assert policy.alerts.due_soon_working_days == 3
    assert policy.alerts.escalate_manager_after == 2
    assert policy.rule("core_group") is ENGLAND_2023.rule("core_group")
    assert ENGLAND_2023.rule(DeadlineKind.STRATEGY_DISCUSSION).duration == WorkingDays(1)


@pytest.mark.parametrize("policy", [ENGLAND_2023, load_policy(EXAMPLE)], ids=lambda p: p.name)
def test_rules_started_and_met_by_each_event_follow_the_table(policy: Policy) -> None:
    for event in Event:
        rules = policy.rules.values()
        assert policy.started_by(event) == tuple(r for r in rules if event in r.started_by)
        assert policy.met_by(event) == tuple(r for r in rules if event in r.met_by)
    kinds = [r.kind for r in policy.started_by(Event.HOLD_CONFERENCE)]
    assert kinds == [DeadlineKind.CORE_GROUP, DeadlineKind.FIRST_REVIEW_CONFERENCE]
    assert [r.kind for r in policy.met_by(Event.REFER)] == [DeadlineKind.IMMEDIATE_REFERRAL]


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "local.toml"
    path.write_text('name = "local"\nbase = "england-2023"\n' + body, encoding="utf-8")
    return path


def test_full_override_of_a_row(tmp_path: Path) -> None:
    policy = load_policy(
        write(
            tmp_path,
            "[rules.referral_decision]\n"
            'duration = {unit = "elapsed_hours", n = 24}\n'
            'anchor = "referral received"\n'
            'started_by = ["refer"]\n'
            'met_by = ["start_assessment", "step_down"]\n'
            'source = "local 1.1"\n',
        )
    )
    rule = policy.rule(DeadlineKind.REFERRAL_DECISION)
    assert rule.started_by == (Event.REFER,)
    assert rule.met_by == (Event.START_ASSESSMENT, Event.STEP_DOWN)
    assert rule.duration.describe() == "24 hours"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[rules\n", "local.toml: file: not valid TOML"),
        ('colour = "red"\n', "local.toml: colour: unknown field"),
        ('[rules.core_grop]\nsource = "x"\n', "rules.core_grop: unknown row"),
        ('[rules.core_group]\nsourse = "x"\n', "rules.core_group.sourse: unknown field"),
        (
            '[rules.core_group]\nduration = {unit = "fortnights", n = 1}\nsource = "x"\n',
            "rules.core_group.duration.unit: unknown unit 'fortnights'",
        ),
        (
            '[rules.core_group]\nduration = {unit = "working_days", n = -1}\nsource = "x"\n',
            "rules.core_group.duration.n: must not be negative, got -1",
        ),
        (
            '[rules.core_group]\nduration = {unit = "working_days", n = "ten"}\nsource = "x"\n',
            "rules.core_group.duration.n: should be a whole number",
        ),
        (
            '[rules.core_group]\nduration = {unit = "working_days"}\nsource = "x"\n',
            "rules.core_group.duration.n: missing",
        ),
        (
            '[rules.core_group]\nduration = {unit = "working_days", n = 5}\n',
            "rules.core_group.source: missing",
        ),
        ('[rules.core_group]\nsource = "  "\n', "rules.core_group.source: should be non-empty"),
        (
            '[rules.core_group]\ncounting = "day_2"\nsource = "x"\n',
            "rules.core_group.counting: unknown counting 'day_2'",
        ),
        (
            '[rules.core_group]\nmet_by = ["hold_core_groop"]\nsource = "x"\n',
            "rules.core_group.met_by: unknown event 'hold_core_groop'",
        ),
        (
            '[rules.core_group]\nurgent_duration = {unit = "recorded_date", field = "x"}\n'
            'source = "x"\n',
            "rules.core_group.urgent_duration.unit: unknown unit 'recorded_date'",
        ),
        ("[alerts]\ndue_soon_working_days = -2\n", "alerts.due_soon_working_days: should be"),
        ("[alerts]\ndue_soon_days = 2\n", "alerts.due_soon_days: unknown field"),
        (
            "[alerts]\nescalate_manager_after = 9\n",
            "alerts: escalate_head_of_service_after must not precede",
        ),
        (
            '[receipt]\nout_of_hours = "next_day"\n',
            "receipt.out_of_hours: should be one of actual_date, next_working_day",
        ),
        ('[receipt]\noffice_opens = "nine"\n', "receipt.office_opens: should be a time HH:MM"),
        ("[receipt]\noffice_closes = 17\n", "receipt.office_closes: should be a time HH:MM"),
        (
            '[receipt]\noffice_opens = "18:00"\n',
            "receipt: the office must open before it closes",
        ),
        ('[receipt]\nopens = "08:00"\n', "receipt.opens: unknown field"),
    ],
)
def test_malformed_policy_files_are_refused(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(PolicyFileError) as err:
        load_policy(write(tmp_path, body))
    assert message in str(err.value)


def test_out_of_hours_receipt_option(tmp_path: Path) -> None:
    assert ENGLAND_2023.receipt.out_of_hours is OutOfHours.ACTUAL_DATE
    body = '[receipt]\nout_of_hours = "next_working_day"\noffice_closes = "17:30"\n'
    policy = load_policy(write(tmp_path, body))
    assert policy.receipt.out_of_hours is OutOfHours.NEXT_WORKING_DAY
    assert (policy.receipt.hours.opens, policy.receipt.hours.closes) == (time(9), time(17, 30))


def test_missing_name_and_unknown_base(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text('base = "england-2023"\n', encoding="utf-8")
    with pytest.raises(PolicyFileError, match=r"p.toml: name: missing"):
        load_policy(path)
    path.write_text('name = "x"\nbase = "scotland-2021"\n', encoding="utf-8")
    with pytest.raises(PolicyFileError, match="base: unknown policy 'scotland-2021'"):
        load_policy(path)


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyFileError, match="file: cannot be read"):
        load_policy(tmp_path / "absent.toml")
