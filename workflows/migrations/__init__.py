"""Alembic migration scripts (run with `esafety db upgrade` or `workflows.persistence.upgrade`)."""
