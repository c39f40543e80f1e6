"""Who may run the statutory returns: the data team and managers, no one else."""

from __future__ import annotations

import pytest

from workflows.permissions import may_run_returns, may_see_lado_report
from workflows.persistence.tables import USER_ROLES


@pytest.mark.parametrize("role", USER_ROLES)
def test_only_the_data_team_and_managers_run_returns(role: str) -> None:
    assert may_run_returns(role) is (role in {"performance", "manager"})


def test_an_unknown_role_runs_no_return() -> None:
    assert not may_run_returns("superuser")


@pytest.mark.parametrize("role", USER_ROLES)
def test_the_lado_report_is_for_lados_too(role: str) -> None:
    assert may_see_lado_report(role) is (role in {"performance", "manager", "lado"})
