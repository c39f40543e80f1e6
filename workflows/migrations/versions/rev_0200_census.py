"""Work notices of kind `census`: a case has records to fix before the CIN census (the nightly
`census-check` flow tells each owner, DESIGN 8).

Revision ID: 0200
Revises: 0400
Create Date: 2026-12-02

The `ck_user_notices_kind` check constraint is widened
(`workflows.migrations.checks.replace_check`, as rev 0110 does for `users`).
"""

from __future__ import annotations

from alembic import op

from workflows.migrations.checks import replace_check

revision = "0200"
down_revision = "0400"
branch_labels = None
depends_on = None

_BEFORE = "kind IN ('allocated', 'transferred', 'passed_on', 'unallocated')"
_AFTER = "kind IN ('allocated', 'transferred', 'passed_on', 'unallocated', 'census')"


def upgrade() -> None:
    replace_check("user_notices", "ck_user_notices_kind", _BEFORE, _AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM user_notices WHERE kind = 'census'")
    replace_check("user_notices", "ck_user_notices_kind", _AFTER, _BEFORE)
