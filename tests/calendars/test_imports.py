"""What the calendars package imports, and when: `holidays` to build, numpy for batches only."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from calendars import regions
from calendars.regions import installed_version


def test_single_dates_never_import_numpy_and_building_imports_holidays() -> None:
    code = textwrap.dedent(
        """
        import sys
        from datetime import date
        import calendars
        imported = ["holidays" in sys.modules, "numpy" in sys.modules]
        cal = calendars.calendar_for(calendars.Region.SCOTLAND)
        cal.add_working_days(date(2022, 9, 16), 1)
        cal.working_days_between(date(2022, 9, 16), date(2022, 12, 30))
        cal.bank_holidays(2022)
        imported += ["holidays" in sys.modules, "numpy" in sys.modules]
        import numpy as np
        cal.add_working_days_batch(np.array(["2022-09-16"], dtype="datetime64[D]"), 1)
        print(imported)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "[False, False, True, False]"


# -- the installed version of `holidays`, without importlib.metadata --------------------------


@pytest.mark.parametrize("name", ["holidays", "numpy", "pytest"])
def test_installed_version_is_what_importlib_metadata_says(name: str) -> None:
    assert installed_version(name) == importlib.metadata.version(name)
    if name == "holidays":
        assert importlib.metadata.version("holidays") == regions.HOLIDAYS_VERSION


def test_installed_version_reads_the_metadata_beside_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "fakepkg").mkdir()
    (tmp_path / "fakepkg" / "__init__.py").write_text("")
    (tmp_path / "fakepkg-2.5.1.dist-info").mkdir()
    (tmp_path / "fakepkg-2.5.1.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: fakepkg\nVersion: 2.5.1\n\nVersion: 9\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert installed_version("fakepkg") == "2.5.1"


def test_installed_version_leaves_anything_else_to_importlib_metadata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "nometa").mkdir()
    (tmp_path / "nometa" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(importlib.metadata.PackageNotFoundError):
        installed_version("nometa")
    with pytest.raises(importlib.metadata.PackageNotFoundError):
        installed_version("no_such_package_here")
