"""A concern names at least one child or the alleged abuser it is about (DESIGN 2): a scenario
whose case names neither is malformed (exit status 2 naming the field, nothing replayed); one
about a teacher with no child identified yet is replayed."""

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


NOBODY = NO_CHILD.replace(
    "  alleged_abuser: {kind: adult, position_of_trust: true, role: teacher}\n", ""
)


def test_a_scenario_whose_case_names_nobody_is_malformed(tmp_path: Path) -> None:
    assert NOBODY != NO_CHILD
    for text in (NOBODY, NOBODY.replace("  children: []\n", "")):
        path = tmp_path / "scenario.yaml"
        path.write_text(text)
        result = CliRunner().invoke(app, ["scenario", "run", str(path), "--json"])
        assert result.exit_code == 2
        assert result.stdout == ""
        assert "step 1: case.children: a concern names at least one child" in result.stderr


def test_a_concern_about_a_teacher_with_no_child_identified_is_replayed(tmp_path: Path) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(NO_CHILD)
    result = CliRunner().invoke(app, ["scenario", "run", str(path), "--json"])
    assert result.exit_code == 0, result.stderr
    assert '"refer_to_lado"' in result.stdout
