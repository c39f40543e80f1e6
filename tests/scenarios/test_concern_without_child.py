"""A concern names at least one child (DESIGN 2; issue 11, finding 7): a scenario whose case has
no child is malformed (exit status 2 naming the field, nothing replayed)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from esafety_flow.cli import app

NO_CHILD = """\
name: a concern about a teacher, no child named
case:
  category: adult_indecent_images
  children: []
  alleged_abuser: {kind: adult, position_of_trust: true, role: teacher}
steps:
  - at: "2026-03-02T10:15"
    event: raise_concern
  - at: "2026-03-02T11:00"
    event: refer
    data: {referred_to: [police]}
"""


def test_a_scenario_whose_case_names_no_child_is_malformed(tmp_path: Path) -> None:
    for text in (NO_CHILD, NO_CHILD.replace("  children: []\n", "")):
        path = tmp_path / "scenario.yaml"
        path.write_text(text)
        result = CliRunner().invoke(app, ["scenario", "run", str(path), "--json"])
        assert result.exit_code == 2
        assert result.stdout == ""
        assert "step 1: case.children: a concern names at least one child" in result.stderr
