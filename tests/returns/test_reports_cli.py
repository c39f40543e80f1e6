"""`esafety returns annex-a` and `esafety returns lado-report`: who may run them (exit 1 for
anyone else), bad input (exit 2, nothing written) and the audit trail's export entries."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from calendars import Region, calendar_for, parse_instant
from esafety_flow.cli import app as cli
from states import ENGLAND_2023, Event
from workflows import audit, casework, organisation
from workflows.persistence import SessionFactory

CAL = calendar_for(Region.ENGLAND_AND_WALES)
USERS = {"dee": "performance", "tm": "manager", "lee": "lado", "pat": "practitioner"}


def _run(url: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        cli, ["returns", *args, "--database-url", url], env={"ESAFETY_DATABASE_URL": url}
    )
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def ids(session_factory: SessionFactory) -> dict[str, int]:
    sf = session_factory
    when = parse_instant("2025-01-01T09:00")
    team = organisation.create_team(sf, name="North")
    found = {
        name: organisation.create_user(
            sf,
            username=name,
            display_name=name.title(),
            email=f"{name}@example.org",
            role=role,
            at=when,
            team_id=team,
        )
        for name, role in USERS.items()
    }
    found["gone"] = organisation.create_user(
        sf,
        username="gone",
        display_name="Gone",
        email="gone@example.org",
        role="performance",
        at=when,
        active=False,
    )
    case = casework.raise_concern(
        sf,
        facts={
            "category": "staff_online_conduct",
            "children": [{"name": "A", "age": 14}],
            "alleged_abuser": {
                "kind": "adult",
                "position_of_trust": True,
                "employment_sector": "education",
            },
        },
        at=parse_instant("2026-06-01T10:00"),
        actor="lee",
        region=Region.ENGLAND_AND_WALES,
        policy=ENGLAND_2023,
        calendar=CAL,
        team_id=team,
    )
    assert case.id is not None
    casework.apply_event(
        sf,
        case.id,
        Event.REFER_TO_LADO,
        at=parse_instant("2026-06-01T11:00"),
        actor="lee",
        calendar=CAL,
        policy=ENGLAND_2023,
    )
    return found


@pytest.fixture
def outdir(tmp_path: Path) -> Path:
    """Where the files go (the SQLite test database is in `tmp_path` itself)."""
    path = tmp_path / "out"
    path.mkdir()
    return path


def _exports(sf: SessionFactory) -> list[tuple[int | None, str | None]]:
    page = audit.search_audit(sf, page=1, per_page=50, kinds=[audit.AuditKind.EXPORT])
    return [(r.user_id, r.detail) for r in page.rows]


def test_annex_a_is_written_and_audited(
    database_url: str, session_factory: SessionFactory, ids: dict[str, int], outdir: Path
) -> None:
    out = outdir / "annex.xlsx"
    code, stdout, stderr = _run(
        database_url, "annex-a", "--as-of", "2026-11-30", "--out", str(out), "--as", "dee"
    )
    assert (code, stderr) == (0, "")
    assert "list 1 1" in stdout
    workbook = load_workbook(out, read_only=True)
    assert workbook.sheetnames == ["List 1", "List 3", "List 4", "List 5", "List 7"]
    workbook.close()
    assert _exports(session_factory) == [(ids["dee"], "annex-a as of 2026-11-30 (command line)")]
    assert not [p for p in outdir.iterdir() if p.name.startswith(".annex-a-")]


@pytest.mark.parametrize(
    ("user", "message"),
    [
        ("pat", "pat (practitioner) may not run Annex A"),
        ("lee", "lee (lado) may not run Annex A"),
        ("gone", "'gone': the account is deactivated"),
        ("nobody", "'nobody': no such user"),
    ],
)
def test_annex_a_is_refused_to_anyone_else(
    database_url: str,
    session_factory: SessionFactory,
    ids: dict[str, int],
    outdir: Path,
    user: str,
    message: str,
) -> None:
    out = outdir / "annex.xlsx"
    code, _, stderr = _run(
        database_url, "annex-a", "--as-of", "2026-11-30", "--out", str(out), "--as", user
    )
    assert code == 1
    assert message in stderr
    assert list(outdir.iterdir()) == []
    assert _exports(session_factory) == []


@pytest.mark.parametrize(
    ("as_of", "out", "message"),
    [
        ("2026-13-01", "annex.xlsx", "--as-of '2026-13-01': not a date"),
        ("yesterday", "annex.xlsx", "not a date (YYYY-MM-DD)"),
        ("2999-01-01", "annex.xlsx", "--as-of 2999-01-01: after today"),
        ("1999-12-31", "annex.xlsx", "before 2000"),
        ("2026-11-30", "annex.csv", "must end in .xlsx"),
        ("2026-11-30", "missing/annex.xlsx", "no directory"),
    ],
)
def test_annex_a_bad_input_is_exit_2_and_writes_nothing(
    database_url: str,
    session_factory: SessionFactory,
    ids: dict[str, int],
    outdir: Path,
    as_of: str,
    out: str,
    message: str,
) -> None:
    code, _, stderr = _run(
        database_url, "annex-a", "--as-of", as_of, "--out", str(outdir / out), "--as", "dee"
    )
    assert code == 2
    assert message in stderr
    assert list(outdir.iterdir()) == []
    assert _exports(session_factory) == []


def test_lado_report_prints_writes_csv_and_is_audited(
    database_url: str, session_factory: SessionFactory, ids: dict[str, int], outdir: Path
) -> None:
    out = outdir / "lado.csv"
    code, stdout, stderr = _run(
        database_url, "lado-report", "--year", "2027", "--csv", str(out), "--as", "lee"
    )
    assert (code, stderr) == (0, "")
    assert "LADO referrals, 01 April 2026 to 31 March 2027: 1" in stdout
    assert "  education: 1 (100.0%)" in stdout
    assert "  not yet concluded: 1 (100.0%)" in stdout
    assert "  1 month: 0 (0.0%)" in stdout
    assert "Employment sector,Education,1,100.0" in out.read_text(encoding="utf-8")
    assert _exports(session_factory) == [
        (ids["lee"], "lado-report 2026 to 2027 csv (command line)")
    ]
    for user in ("dee", "tm"):
        assert _run(database_url, "lado-report", "--year", "2027", "--as", user)[0] == 0


def test_lado_report_refusals_and_bad_input(
    database_url: str, session_factory: SessionFactory, ids: dict[str, int], outdir: Path
) -> None:
    code, _, stderr = _run(database_url, "lado-report", "--year", "2027", "--as", "pat")
    assert (code, stderr.strip()) == (1, "error: pat (practitioner) may not run the LADO report")
    for year, message in (
        ("1999", "expected a year from 2001 to 2040"),
        ("20x7", "--year '20x7': expected a year such as 2027"),
    ):
        code, _, stderr = _run(database_url, "lado-report", "--year", year, "--as", "lee")
        assert code == 2
        assert message in stderr
    code, _, stderr = _run(
        database_url,
        "lado-report",
        "--year",
        "2027",
        "--csv",
        str(outdir / "no" / "lado.csv"),
        "--as",
        "lee",
    )
    assert code == 2
    assert "no directory" in stderr
    assert list(outdir.iterdir()) == []
    assert _exports(session_factory) == []
