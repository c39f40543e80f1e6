"""`./dev` names a missing prerequisite of the quick start instead of failing half way, and the
README links only to files inside the repository."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _path_with(tmp_path: Path, *commands: str) -> str:
    """A PATH holding only these commands (symlinks to the real ones)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in commands:
        real = shutil.which(name)
        assert real is not None, f"{name} is needed to run this test"
        (bin_dir / name).symlink_to(real)
    return str(bin_dir)


def test_setup_without_npm_says_what_is_missing(tmp_path: Path) -> None:
    venv = Path(sys.prefix)  # the suite's own environment, set up already
    (venv / ".installed").touch()  # newer than pyproject.toml: setup skips pip
    result = subprocess.run(
        [str(ROOT / "dev"), "setup"],
        env={"PATH": _path_with(tmp_path, "bash", "dirname"), "ESAFETY_VENV": str(venv)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "npm is needed for the GOV.UK Frontend assets" in result.stderr
    assert "install Node.js" in result.stderr


def test_setup_with_an_old_python_names_it(tmp_path: Path) -> None:
    fake = tmp_path / "python3.9"
    fake.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = -c ]; then exec "' + sys.executable + '" -c '
        '"import sys; sys.version_info = (3, 9); exec(sys.argv[1])" "$2"; fi\n'
        "exit 3\n"
    )
    fake.chmod(0o755)
    result = subprocess.run(
        [str(ROOT / "dev"), "setup"],
        env={
            "PATH": _path_with(tmp_path, "bash", "dirname"),
            "ESAFETY_VENV": str(tmp_path / "no-venv"),
            "PYTHON": str(fake),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "needs Python 3.11 or newer" in result.stderr
    assert not (tmp_path / "no-venv").exists()


def test_readme_links_stay_inside_the_repository() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "../shared" not in text
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
        if target.startswith(("http://", "https://")):
            continue
        assert (ROOT / target).exists(), f"README.md links to {target}: not in the repository"
