"""The README's state diagram is the one generated from the transition tables (house rule 3)."""

from __future__ import annotations

import re
from pathlib import Path

from states import mermaid_diagram

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_diagram_is_generated_from_the_tables() -> None:
    text = README.read_text(encoding="utf-8")
    found = re.search(
        r"<!-- diagram:start -->\n```mermaid\n(.*?)```\n<!-- diagram:end -->", text, re.S
    )
    assert found, "README.md has no generated diagram block"
    assert found.group(1).rstrip() == mermaid_diagram().rstrip(), (
        "README.md's diagram is out of date: paste the output of `esafety states diagram`"
    )
