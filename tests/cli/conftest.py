"""The calendar commands cache their tables in a temporary directory here, never the user's."""

from __future__ import annotations

from pathlib import Path

import pytest

from esafety_flow.cli.calendar_cmd import CACHE_DIR_VARIABLE


@pytest.fixture(scope="session")
def session_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("calendar-cache")


@pytest.fixture(autouse=True)
def _calendar_cache_in_tmp(session_cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_DIR_VARIABLE, str(session_cache_dir))
