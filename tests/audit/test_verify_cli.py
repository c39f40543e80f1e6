"""`esafety audit verify [--case REF]`: exit 0 when the log is intact, 1 on any break (each printed
with the case reference and the entry number), 2 on bad input."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from esafety_flow.cli import app as cli
from workflows.persistence import make_engine, make_session_factory, upgrade

from .tampering import as_table_owner
from .test_event_chain import worked_case


def _run(url: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        cli, ["audit", "verify", *args, "--database-url", url], env={"ESAFETY_DATABASE_URL": url}
    )
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def db(database_url: str) -> Iterator[tuple[str, Engine, list[int]]]:
    engine = make_engine(database_url)
    upgrade(engine)
    sf = make_session_factory(engine)
    ids = [worked_case(sf), worked_case(sf, "2026-03-02T11:30")]
    yield database_url, engine, ids
    engine.dispose()


def test_an_intact_log_exits_0(db: tuple[str, Engine, list[int]]) -> None:
    url, _, _ = db
    code, out, err = _run(url)
    assert (code, err) == (0, "")
    assert out.startswith("intact: 2 cases, ")
    code, out, _ = _run(url, "--case", "ESF-000002")
    assert code == 0
    assert out.startswith("intact: 1 case, ")


def test_each_break_is_printed_with_its_case_and_entry_and_exits_1(
    db: tuple[str, Engine, list[int]],
) -> None:
    url, engine, (first, second) = db
    with as_table_owner(engine) as conn:
        conn.execute(
            text("UPDATE case_events SET actor = 'mallory' WHERE case_id = :c AND seq = 3"),
            {"c": first},
        )
        conn.execute(text("DELETE FROM case_events WHERE case_id = :c AND seq = 2"), {"c": second})
    code, out, err = _run(url)
    assert code == 1
    assert out.splitlines() == [
        "ESF-000001 entry 3: changed: its content does not match its hash",
        "ESF-000002 entry 2: missing: entry 2 missing before entry 3",
    ]
    assert err.startswith("BROKEN: 2 breaks in 2 of 2 cases")
    code, out, _ = _run(url, "--case", "ESF-000002")
    assert code == 1
    assert out.splitlines() == ["ESF-000002 entry 2: missing: entry 2 missing before entry 3"]


@pytest.mark.parametrize("reference", ["ESF-999999", " "])
def test_a_case_that_does_not_exist_is_exit_2(
    db: tuple[str, Engine, list[int]], reference: str
) -> None:
    url, _, _ = db
    code, out, err = _run(url, "--case", reference)
    assert code == 2
    assert out == ""
    assert err.startswith("error: --case")


def test_a_bad_database_url_is_exit_2() -> None:
    code, _, err = _run("mysql://nowhere/db")
    assert code == 2
    assert err.startswith("error: database URL")


def test_deadlines_that_the_log_does_not_give_are_printed(
    db: tuple[str, Engine, list[int]],
) -> None:
    url, engine, (first, _) = db
    assert _run(url, "--deadlines")[0] == 0
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE deadlines SET status = 'met', met_at = due_at WHERE case_id = :c"),
            {"c": first},
        )
    assert _run(url)[0] == 0  # the chain alone is intact
    code, out, err = _run(url, "--deadlines")
    assert code == 1
    assert out.startswith("ESF-000001 deadlines: unjustified: ")
    assert "BROKEN" in err
