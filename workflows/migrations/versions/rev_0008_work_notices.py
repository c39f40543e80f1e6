"""Who does the work: notices to people about their work (allocation, transfer, a case passed to
the LADOs, a deactivated colleague's case), and their emails in the notice outbox.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from workflows.persistence.types import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "user_notices",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("emailed_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('allocated', 'transferred', 'passed_on', 'unallocated')",
            name=op.f("ck_user_notices_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_user_notices_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_notices_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_notices")),
    )
    op.create_index("ix_user_notices_user_id_created_at", "user_notices", ["user_id", "created_at"])
    op.create_index(
        "ix_user_notices_unemailed",
        "user_notices",
        ["id"],
        sqlite_where=sa.text("emailed_at IS NULL"),
        postgresql_where=sa.text("emailed_at IS NULL"),
    )
    with op.batch_alter_table("notices") as batch:
        batch.drop_constraint(op.f("ck_notices_kind"), type_="check")
        batch.create_check_constraint(
            op.f("ck_notices_kind"), "kind IN ('digest', 'deadline_moved', 'work')"
        )


def downgrade() -> None:
    with op.batch_alter_table("notices") as batch:
        batch.drop_constraint(op.f("ck_notices_kind"), type_="check")
        batch.create_check_constraint(
            op.f("ck_notices_kind"), "kind IN ('digest', 'deadline_moved')"
        )
    op.drop_index("ix_user_notices_unemailed", table_name="user_notices")
    op.drop_index("ix_user_notices_user_id_created_at", table_name="user_notices")
    op.drop_table("user_notices")
