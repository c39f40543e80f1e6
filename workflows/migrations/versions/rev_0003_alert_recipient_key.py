"""One alert per (deadline, level, recipient role, recipient): a restricted case escalates to each
manager named on it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25

`recipient_key` is the named recipient's user id, or 0 when the alert is addressed by role alone
(a NULL would not take part in the unique key on either database).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(
            sa.Column("recipient_key", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch.drop_constraint("uq_alerts_deadline_id_level_role", type_="unique")
        batch.create_unique_constraint(
            "uq_alerts_deadline_id_level_role_recipient",
            ["deadline_id", "level", "recipient_role", "recipient_key"],
        )


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_constraint("uq_alerts_deadline_id_level_role_recipient", type_="unique")
        batch.create_unique_constraint(
            "uq_alerts_deadline_id_level_role", ["deadline_id", "level", "recipient_role"]
        )
        batch.drop_column("recipient_key")
