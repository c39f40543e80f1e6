"""The CIN census return: the XML itself (elements, dates, the reporting year's window, the LA
child ID, a child in two cases), the command line and its audit entries, and the check of what
to fix before the census; on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from calendars import LONDON, FixedClock
from esafety_flow.bootstrap import App, bootstrap
from esafety_flow.cli import app as cli
from esafety_flow.settings import Settings
from states import Event
from workflows import casework, organisation
from workflows.audit import AuditKind, search_audit
from workflows.persistence.tables import subjects
from workflows.returns import census, census_check

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


@dataclass
class Org:
    app: App
    worker_id: int
    team_id: int


@pytest.fixture
def org(database_url: str) -> Iterator[Org]:
    app = bootstrap(Settings(database_url=database_url), clock=FixedClock(NOW))
    sf = app.session_factory
    team = organisation.create_team(sf, name="North")
    at = datetime(2024, 1, 1, tzinfo=UTC)
    worker = organisation.create_user(
        sf, username="pat", display_name="Pat", email="pat@example.org", role="practitioner",
        at=at, team_id=team,
    )  # fmt: skip
    manager = organisation.create_user(
        sf, username="morgan", display_name="Morgan", email="m@example.org", role="manager",
        at=at, team_id=team,
    )  # fmt: skip
    organisation.create_user(
        sf, username="dana", display_name="Dana", email="d@example.org", role="performance",
        at=at,
    )  # fmt: skip
    organisation.set_team_managers(sf, team, manager_id=manager, head_of_service_id=None)
    yield Org(app, worker, team)
    app.close()


def _at(day: str, hour: int = 10) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(hour), tzinfo=LONDON)


CHILD = {"name": "A", "date_of_birth": "2014-06-01", "sex": "F", "ethnicity": "WBRI"}
REFER = {"referred_to": ["childrens_social_care"], "referral_source": "3A", "primary_need": "N1"}


def _case(org: Org, raised: str, steps: list[tuple[str, Event, dict[str, Any] | None]],
          child: dict[str, Any] | None = None) -> int:  # fmt: skip
    app = org.app
    calendar = app.calendar_for(app.region)
    case = casework.raise_concern(
        app.session_factory,
        facts={"category": "online_grooming", "children": [child or CHILD]},
        at=_at(raised, 9),
        actor="pat",
        region=app.region,
        policy=app.policy,
        calendar=calendar,
        owner_id=org.worker_id,
        team_id=org.team_id,
    )
    assert case.id is not None
    for hour, (day, event, data) in enumerate(steps, start=10):
        by = "morgan" if event is Event.AUTHORISE_ASSESSMENT else "pat"
        casework.apply_event(
            app.session_factory,
            case.id,
            event,
            at=_at(day, min(hour, 20)),
            actor=by,
            data=data,
            calendar=calendar,
            policy=app.policy,
        )
    return case.id


def _assessed(raised: str = "2025-05-06") -> list[tuple[str, Event, dict[str, Any] | None]]:
    return [
        (raised, Event.REFER, REFER),
        (raised, Event.START_ASSESSMENT, None),
        ("2025-05-20", Event.COMPLETE_ASSESSMENT, {"factors": ["4A", "8B"]}),
        ("2025-05-22", Event.AUTHORISE_ASSESSMENT, None),
        ("2025-06-02", Event.CLOSE, {"outcome": "no_further_action", "reason": "Done",
                                     "reason_for_closure": "RC8"}),
    ]  # fmt: skip


def _export(org: Org, year: int) -> ET.Element:
    out = io.StringIO()
    header = census.CensusHeader(la_code="201", year=census.census_year(year), made_at=NOW)
    census.export_census(org.app.session_factory, out, header, batch_size=2)
    return ET.fromstring(out.getvalue())


def test_the_return_has_the_header_child_and_episode_items(org: Org) -> None:
    _case(org, "2025-05-06", _assessed())
    root = _export(org, 2026)
    assert root.findtext("Header/CollectionDetails/Collection") == "CIN"
    assert root.findtext("Header/CollectionDetails/Year") == "2026"
    assert root.findtext("Header/CollectionDetails/ReferenceDate") == "2026-03-31"
    assert root.findtext("Header/Source/LEA") == "201"
    (child,) = root.findall("Children/Child")
    child_id = child.findtext("ChildIdentifiers/LAchildID") or ""
    assert child_id.isalnum()
    assert len(child_id) <= census.MAX_LA_CHILD_ID
    assert child.findtext("ChildIdentifiers/PersonBirthDate") == "2014-06-01"
    assert child.findtext("ChildIdentifiers/Sex") == "F"
    assert child.find("ChildIdentifiers/GenderCurrent") is None
    assert child.findtext("ChildCharacteristics/Ethnicity") == "WBRI"
    (cin,) = child.findall("CINdetails")
    assert cin.findtext("CINreferralDate") == "2025-05-06"
    assert cin.findtext("ReferralSource") == "3A"
    assert cin.findtext("PrimaryNeedCode") == "N1"
    assert cin.findtext("CINclosureDate") == "2025-06-02"
    assert cin.findtext("ReasonForClosure") == "RC8"
    assert cin.findtext("ReferralNFA") == "false"
    (assessment,) = cin.findall("Assessments")
    assert assessment.findtext("AssessmentActualStartDate") == "2025-05-06"
    assert assessment.findtext("AssessmentAuthorisationDate") == "2025-05-22"
    factors = [e.text for e in assessment.findall("FactorsIdentifiedAtAssessment/*")]
    assert factors == ["4A", "8B"]


def test_returns_before_2024_25_have_gender_current_not_sex(org: Org) -> None:
    _case(org, "2023-05-08", _assessed("2023-05-08")[:2])
    child = _export(org, 2024).find("Children/Child")
    assert child is not None
    assert child.findtext("ChildIdentifiers/GenderCurrent") == "2"
    assert child.find("ChildIdentifiers/Sex") is None


def test_the_reporting_year_window(org: Org) -> None:
    # closed in May 2025: in the 2025-26 return; closed before April 2025: not in it
    _case(org, "2025-05-06", _assessed())
    early = [
        ("2025-01-06", Event.REFER, REFER),
        ("2025-01-07", Event.STEP_DOWN, None),
    ]
    _case(org, "2025-01-06", early, {**CHILD, "name": "B", "date_of_birth": "2013-02-01"})
    # referred in March 2026, closed in April 2026: open at the end of the 2025-26 year
    late = [
        ("2026-03-30", Event.REFER, REFER),
        ("2026-04-02", Event.STEP_DOWN, None),
    ]
    _case(org, "2026-03-30", late, {**CHILD, "name": "C", "date_of_birth": "2012-02-01"})
    root = _export(org, 2026)
    referrals = [e.text for e in root.iter("CINreferralDate")]
    assert referrals == ["2025-05-06", "2026-03-30"]
    last = root.findall("Children/Child/CINdetails")[-1]
    assert last.find("CINclosureDate") is None
    # the year before holds the January referral, closed with no further action
    before = _export(org, 2025).findall("Children/Child/CINdetails")
    assert [c.findtext("CINreferralDate") for c in before] == ["2025-01-06"]
    assert before[0].findtext("ReferralNFA") == "true"
    assert before[0].findtext("ReasonForClosure") == "RC8"


def test_a_child_in_two_cases_is_one_child_with_two_episodes(org: Org) -> None:
    child = {**CHILD, "nhs_number": "9434765919"}
    _case(org, "2025-05-06", _assessed(), child)
    again = [("2025-09-01", Event.REFER, REFER), ("2025-09-01", Event.START_ASSESSMENT, None)]
    _case(org, "2025-09-01", again, child)
    children = _export(org, 2026).findall("Children/Child")
    assert len(children) == 1
    dates = [c.findtext("CINreferralDate") for c in children[0].findall("CINdetails")]
    assert dates == ["2025-05-06", "2025-09-01"]


def test_la_child_id_is_at_most_20_letters_and_digits() -> None:
    assert census.la_child_id(123, 7) == "ESF123"
    assert census.la_child_id(None, 7) == "ESFS7"
    with pytest.raises(census.CensusError, match="20 characters"):
        census.la_child_id(10**18, 1)


def test_census_year_range() -> None:
    assert census.census_year(2026).start == date(2025, 4, 1)
    with pytest.raises(census.CensusError, match="2014 to 2099"):
        census.census_year(1999)


def _invoke(args: list[str], database_url: str) -> Any:
    return CliRunner().invoke(cli, [*args, "--database-url", database_url])


def test_cli_exports_and_records_the_export(org: Org, database_url: str, tmp_path: Path) -> None:
    _case(org, "2025-05-06", _assessed())
    out = tmp_path / "census.xml"
    args = ["returns", "cin-census", "--year", "2026", "--la", "201", "--out", str(out)]
    result = _invoke([*args, "--as", "dana"], database_url)
    assert result.exit_code == 0, result.output
    assert ET.parse(out).getroot().findtext("Header/Source/LEA") == "201"
    page = search_audit(org.app.session_factory, page=1, per_page=10, kinds=[AuditKind.EXPORT])
    (entry,) = page.rows
    assert entry.detail is not None
    assert entry.detail.startswith("cin-census 2026")
    assert entry.user_id is not None


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--year", "1999", "--la", "201"], "2014 to 2099"),
        (["--year", "2026", "--la", "999"], "not an English LA code"),
        (["--year", "2026"], "no LA code"),
        (["--year", "2026", "--la", "201", "--as", "pat"], "may not run"),
        (["--year", "2026", "--la", "201", "--as", "nobody"], "no such active user"),
    ],
)
def test_cli_refuses_bad_input_and_writes_nothing(
    org: Org, database_url: str, tmp_path: Path, extra: list[str], message: str
) -> None:
    out = tmp_path / "census.xml"
    result = _invoke(["returns", "cin-census", *extra, "--out", str(out)], database_url)
    assert result.exit_code == 2
    assert message in result.output
    assert not out.exists()
    page = search_audit(org.app.session_factory, page=1, per_page=10, kinds=[AuditKind.EXPORT])
    assert not page.rows


def test_check_names_the_field_for_the_owner(org: Org, database_url: str) -> None:
    no_ethnicity = {"name": "A", "date_of_birth": "2014-06-01", "sex": "F"}
    case_id = _case(org, "2025-05-06", _assessed(), no_ethnicity)
    reference = casework.get_case(org.app.session_factory, case_id).reference
    tasks = census_check.census_tasks(org.app.session_factory, census.census_year(2026))
    assert [t.text for t in tasks] == [f"ethnicity missing for child 1 of {reference}"]
    assert tasks[0].owner_id == org.worker_id
    result = _invoke(["returns", "check", "--year", "2026"], database_url)
    assert result.exit_code == 1
    assert f"pat\t{reference}\t4220\tethnicity missing for child 1 of {reference}" in result.output


def test_sample_year_records_cases_through_the_services(database_url: str) -> None:
    result = _invoke(["returns", "sample-year", "--year", "2026", "--children", "4"], database_url)
    assert result.exit_code == 0, result.output
    assert "4 cases" in result.output
    app = bootstrap(Settings(database_url=database_url))
    try:
        children = list(census.census_children(app.session_factory, census.census_year(2026)))
    finally:
        app.close()
    assert len(children) == 4
    bad = _invoke(["returns", "sample-year", "--year", "3000"], database_url)
    assert bad.exit_code == 2
    assert "2014 to 2099" in bad.output


def _export_text(org: Org, batch_size: int) -> str:
    out = io.StringIO()
    header = census.CensusHeader(la_code="201", year=census.census_year(2026), made_at=NOW)
    census.export_census(org.app.session_factory, out, header, batch_size=batch_size)
    return out.getvalue()


def test_the_return_is_the_same_whatever_the_batch(org: Org) -> None:
    """Batches are ranges of person ids, then of subject ids for child subjects with no person
    record (recorded before people were kept): a child in two cases, a case of two children and
    unlinked children come out the same read one at a time or all at once."""
    twice = {**CHILD, "nhs_number": "9434765919"}
    _case(org, "2025-05-06", _assessed(), twice)
    _case(org, "2025-09-01", [("2025-09-01", Event.REFER, REFER)], twice)
    for day in ("2025-06-02", "2025-07-01", "2025-08-04"):
        _case(org, day, _assessed(day)[:2])
    with org.app.session_factory.begin() as session:
        unlinked = session.execute(
            select(subjects.c.id).where(subjects.c.role == "child").order_by(subjects.c.id)
        ).scalars().all()[-2:]  # fmt: skip
        session.execute(
            update(subjects)
            .where(subjects.c.id.in_(unlinked))
            .values(person_id=None, details={"name": "B", "sex": "M", "ethnicity": "WBRI"})
        )
    whole = _export_text(org, 500)
    for batch_size in (1, 2, 3):
        assert _export_text(org, batch_size) == whole
    children = ET.fromstring(whole).findall("Children/Child")
    ids = [c.findtext("ChildIdentifiers/LAchildID") or "" for c in children]
    assert len(ids) == 4
    assert [i for i in ids if i.startswith("ESFS")] == [f"ESFS{i}" for i in unlinked]


def test_the_read_ahead_hands_on_errors_and_stops_with_its_caller() -> None:
    read: list[int] = []

    def batches(fail_at: int | None) -> Iterator[int]:
        for n in range(1000):
            if n == fail_at:
                raise RuntimeError("the database went away")
            read.append(n)
            yield n

    with pytest.raises(RuntimeError, match="went away"):
        list(census._prefetched(batches(3)))
    read.clear()
    ahead = census._prefetched(batches(None))
    assert [next(ahead), next(ahead)] == [0, 1]
    ahead.close()
    assert len(read) <= 4  # the reader stopped one or two ahead, not at the end
    assert not [t for t in threading.enumerate() if t.name.startswith("census-prefetch")]
