"""Index for the in-app alert list: a user's alerts, newest first.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25

`/alerts` lists the alerts addressed to the signed-in user (`recipient_user_id`) newest first;
without this index that page read the whole outbox.
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_alerts_recipient_user_id_created_at",
        "alerts",
        ["recipient_user_id", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_alerts_recipient_user_id_created_at", table_name="alerts")
