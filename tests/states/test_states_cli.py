"""`esafety states ...`: diagram and policy, bad input on stderr with exit status 2."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from esafety_flow.cli import app
from states import mermaid_diagram

runner = CliRunner()
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "policies" / "exampleshire-2024.toml"


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["states", *args])
    return result.exit_code, result.stdout, result.stderr


def test_diagram_prints_the_generated_diagram() -> None:
    assert run("diagram") == (0, mermaid_diagram(), "")


def test_diagram_highlights_states() -> None:
    code, out, _ = run("diagram", "--state", "review", "--allegation-state", "investigation")
    assert code == 0
    assert "class review current" in out
    assert "class allegation_investigation current" in out


def test_diagram_unknown_state_exits_2() -> None:
    code, out, err = run("diagram", "--state", "sec47")
    assert (code, out) == (2, "")
    assert "unknown case state 'sec47'" in err


def test_policy_text_lists_every_row_with_source() -> None:
    code, out, _ = run("policy")
    assert code == 0
    assert out.startswith("policy england-2023\n")
    assert "strategy_discussion: 1 working day (same day if urgent)" in out
    assert "allegation_resolution: 1 month; escalate at 3 months, 12 months" in out
    assert out.count("    source: ") == 12
    assert out.endswith(
        "out-of-hours receipt: actual_date (office hours 09:00-17:00, Europe/London)\n"
    )


def test_policy_json_from_file() -> None:
    code, out, _ = run("policy", "--file", str(EXAMPLE), "--json")
    assert code == 0
    document = json.loads(out)
    assert document["name"] == "exampleshire-2024"
    assert document["alerts"]["due_soon_working_days"] == 3
    assert document["receipt"] == {
        "out_of_hours": "next_working_day",
        "office_opens": "09:00",
        "office_closes": "17:00",
    }
    rows = {row["kind"]: row for row in document["rules"]}
    assert rows["strategy_discussion"]["due"] == "3 working days"
    assert rows["working_agreement_review"]["recorded"] is True


def test_policy_unknown_name_exits_2() -> None:
    code, out, err = run("policy", "wales-2023")
    assert (code, out) == (2, "")
    assert "unknown policy 'wales-2023'" in err


def test_policy_bad_file_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nbase = "england-2023"\n[rules.core_group]\nn = 1\n', "utf-8")
    code, out, err = run("policy", "--file", str(bad))
    assert (code, out) == (2, "")
    assert "rules.core_group.n: unknown field" in err


def test_diagram_svg_draws_one_track_as_the_case_page_does() -> None:
    import xml.etree.ElementTree as ET

    code, out, _ = run("diagram", "--svg", "--state", "review")
    assert code == 0
    root = ET.fromstring(out)
    assert root.get("role") == "img"
    assert 'app-state-diagram__state--now" data-state="review"' in out
    code, out, _ = run("diagram", "--svg", "--track", "allegation")
    assert code == 0
    assert 'data-state="lado_referral"' in out
    assert "--now" not in out


def test_diagram_svg_refuses_a_state_of_the_other_track_or_none() -> None:
    code, out, err = run("diagram", "--svg", "--allegation-state", "concluded")
    assert (code, out) == (2, "")
    assert "--allegation-state belongs to the other track" in err
    code, out, err = run("diagram", "--svg", "--track", "allegation", "--allegation-state", "x")
    assert (code, out) == (2, "")
    assert "unknown state 'x'" in err
