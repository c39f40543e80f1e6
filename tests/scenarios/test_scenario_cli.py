"""`esafety scenario run FILE [--json]` (DESIGN 6): output, refused steps, and malformed files
(an error naming the step, exit status 2, nothing replayed)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import inspect
from typer.testing import CliRunner

from esafety_flow.cli import app
from workflows.persistence import make_engine

runner = CliRunner()
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "scenarios"

GOOD = """\
name: adult with images of own children
case:
  category: adult_indecent_images
  children: [{name: A, age: 6, lives_with_alleged_abuser: true, known_to_alleged_abuser: true,
              shown_in_images: true}]
  alleged_abuser: {kind: adult, lives_with_children: true, position_of_trust: false}
  risk_factors: [images_of_own_children]
steps:
  - at: "2026-03-02T10:15"
    event: raise_concern
  - at: "2026-03-02T11:00"
    event: refer
    data: {referred_to: [police, childrens_social_care]}
  - at: "2026-03-02T11:30"
    event: start_section_47
  - at: "2026-03-10T09:00"
    sweep: true
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["scenario", "run", *args])
    return result.exit_code, result.stdout, result.stderr


def test_json_document_of_design_6(tmp_path: Path) -> None:
    code, out, err = run(str(_write(tmp_path, GOOD)), "--json")
    assert (code, err) == (0, "")
    doc = json.loads(out)
    assert doc["state"] == "referral"
    assert doc["allegation_state"] is None
    assert "immediate_referral" in doc["required_actions"]
    assert doc["history"] == [
        {
            "at": "2026-03-02T11:00:00Z",
            "recorded_at": "2026-03-02T11:00:00Z",
            "by": "worker",
            "late": False,
            "event": "refer",
            "machine": "child_protection",
            "from": "concern",
            "to": "referral",
            "step": 2,
        }
    ]
    # refused by the machines: listed with the reason, and the replay went on to the sweep
    assert [(r["event"], r["at"]) for r in doc["rejected"]] == [
        ("start_section_47", "2026-03-02T11:30:00Z")
    ]
    assert "cannot start_section_47 from state referral" in doc["rejected"][0]["reason"]
    decision = [d for d in doc["deadlines"] if d["kind"] == "referral_decision"]
    assert decision == [
        {
            "kind": "referral_decision",
            "due_date": "2026-03-03",
            "due_at": "2026-03-04T00:00:00Z",
            "status": "overdue",
            "met_at": None,
        }
    ]
    # one sweep a week late (DESIGN 3.3): the owner is told it is overdue, not that it is due
    # soon or today (those are recorded as superseded), and the manager's escalation still goes
    assert {(a["deadline"], a["level"], a["to"], a["recipient"]) for a in doc["alerts"]} == {
        ("referral_decision", "overdue", "owner", "worker"),
        ("referral_decision", "escalated", "manager", "manager"),
    }
    assert {(s["deadline"], s["level"]) for s in doc["superseded"]} >= {
        ("referral_decision", "due_soon"),
        ("referral_decision", "due_today"),
    }


def test_readable_summary(tmp_path: Path) -> None:
    code, out, _ = run(str(_write(tmp_path, GOOD)))
    assert code == 0
    assert "adult with images of own children" in out
    assert "state: referral" in out
    assert "referral_decision" in out
    assert "start_section_47" in out


def test_example_from_the_cli_matches_expected() -> None:
    path = EXAMPLES / "weekend_referral.yaml"
    code, out, _ = run(str(path), "--json")
    assert code == 0
    assert json.loads(out) == json.loads(
        (EXAMPLES / "expected" / "weekend_referral.json").read_text()
    )


def test_example_on_the_database_of_database_url(database_url: str) -> None:
    path = EXAMPLES / "overdue_sweep.yaml"
    code, out, err = run(str(path), "--json", "--database-url", database_url)
    assert (code, err) == (0, "")
    assert json.loads(out) == json.loads((EXAMPLES / "expected" / "overdue_sweep.json").read_text())


BAD = {
    "nhs_number_check_digit": (
        GOOD.replace(
            "shown_in_images: true}]", "shown_in_images: true, nhs_number: '943 476 5918'}]"
        ),
        "step 1: case.children.0.nhs_number: Value error, NHS number check digit is wrong",
    ),
    "upn_check_letter": (
        GOOD.replace("shown_in_images: true}]", "shown_in_images: true, upn: A801200001001}]"),
        "step 1: case.children.0.upn: Value error, UPN check letter is wrong",
    ),
    "date_of_birth_not_a_date": (
        GOOD.replace("{name: A, age: 6,", "{name: A, date_of_birth: 2019-02-30,"),
        "step 1: case.children.0.date_of_birth",
    ),
    "nhs_number_in_record_facts": (
        GOOD.replace(
            "    sweep: true",
            '    sweep: true\n  - at: "2026-03-10T10:00"\n    event: record_facts\n'
            "    data: {children: [{name: A, nhs_number: '1234567890'}]}",
        ),
        "step 5 (at 2026-03-10T10:00:00+00:00): record_facts: data.children.0.nhs_number",
    ),
    "unknown_by": (
        GOOD.replace("    event: refer\n", "    event: refer\n    by: nobody\n"),
        "step 2 (at 2026-03-02T11:00:00+00:00): by: no user 'nobody'",
    ),
    "correct_date_of_a_sweep": (
        GOOD.replace(
            "    sweep: true",
            '    sweep: true\n  - at: "2026-03-10T10:00"\n    event: correct_date\n'
            '    data: {step: 4, occurred_at: "2026-03-02T10:00", reason: x}',
        ),
        "data.step: step 4 is a sweep, not an event",
    ),
    "unknown_field": (
        GOOD.replace("name: adult", "nmae: typo\nname: adult"),
        "nmae: Extra inputs are not permitted",
    ),
    "unknown_step_field": (
        GOOD.replace("    sweep: true", "    sweep: true\n    colour: red"),
        "step 4: colour: Extra inputs are not permitted",
    ),
    "bad_date": (
        GOOD.replace('"2026-03-02T11:00"', '"2026-02-30T11:00"'),
        "step 2: at:",
    ),
    "non_existent_london_time": (
        GOOD.replace('"2026-03-10T09:00"', '"2026-03-29T01:30"'),
        "step 4: at:",
    ),
    "unknown_event": (
        GOOD.replace("event: refer\n", "event: refr\n"),
        "step 2 (at 2026-03-02T11:00:00+00:00): unknown event 'refr'",
    ),
    "bad_event_data": (
        GOOD.replace("referred_to: [police", "referred_to: [pollice"),
        "step 2 (at 2026-03-02T11:00:00+00:00): refer: data.referred_to",
    ),
    "step_before_previous": (
        GOOD.replace('"2026-03-02T11:30"', '"2026-03-02T10:59"'),
        "step 3 (at 2026-03-02T10:59:00+00:00): is recorded before the previous step",
    ),
    "missing_first_raise_concern": (
        GOOD.replace("    event: raise_concern\n", "    event: record_facts\n"),
        "step 1 (at 2026-03-02T10:15:00+00:00): the first step must be raise_concern",
    ),
    "unknown_fact": (
        GOOD.replace(
            "category: adult_indecent_images", "category: adult_indecent_images\n  pets: 2"
        ),
        "case.pets: Extra inputs are not permitted",
    ),
    "event_and_sweep": (
        GOOD.replace("    sweep: true", "    sweep: true\n    event: refer"),
        "step 4 (at 2026-03-10T09:00:00+00:00): give either an event or sweep: true",
    ),
    "not_yaml": ("name: [unclosed\n", "not valid YAML"),
    "not_a_mapping": ("- just\n- a list\n", "a scenario is a mapping"),
    "unknown_policy": (
        GOOD.replace("name: adult", "policy: wales-1999\nname: adult"),
        "policy: unknown policy 'wales-1999'",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_malformed_scenario_is_an_error_naming_the_step(case: str, tmp_path: Path) -> None:
    text, message = BAD[case]
    db = tmp_path / "replay.db"
    code, out, err = run(str(_write(tmp_path, text)), "--json", "--database-url", f"sqlite:///{db}")
    assert code == 2
    assert out == ""
    assert message in err
    # nothing replayed: the database was never even created
    assert not db.exists()


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    code, out, err = run(str(tmp_path / "nope.yaml"), "--json")
    assert (code, out) == (2, "")
    assert "cannot read" in err


def test_naive_yaml_timestamp_is_london_time(tmp_path: Path) -> None:
    # an unquoted YAML timestamp is read as London time (BST in June), not silently as UTC
    text = GOOD.replace('at: "2026-03-02T10:15"', "at: 2026-03-02 10:15:00")
    text = text.replace('"2026-03-02T11:00"', "2026-06-01 11:00:00")
    text = text.replace('"2026-03-02T11:30"', '"2026-06-01T11:30"')
    text = text.replace('"2026-03-10T09:00"', '"2026-06-01T12:00"')
    code, out, err = run(str(_write(tmp_path, text)), "--json")
    assert (code, err) == (0, "")
    assert json.loads(out)["history"][0]["at"] == "2026-06-01T10:00:00Z"


def test_bad_database_url_is_an_error(tmp_path: Path) -> None:
    code, out, err = run(str(_write(tmp_path, GOOD)), "--database-url", "mysql://nowhere/x")
    assert (code, out) == (2, "")
    assert "unsupported database URL" in err


def test_replay_creates_the_schema_on_the_given_database(tmp_path: Path) -> None:
    db = tmp_path / "replay.db"
    code, _, _ = run(str(_write(tmp_path, GOOD)), "--json", "--database-url", f"sqlite:///{db}")
    assert code == 0
    engine = make_engine(f"sqlite:///{db}")
    try:
        assert "case_events" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
