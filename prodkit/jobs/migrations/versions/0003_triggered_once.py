"""A triggering run starts each job it triggers once: unique (job, triggered_by) where triggered_by is set.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if "runs_triggered_once" in {i["name"] for i in sa.inspect(op.get_bind()).get_indexes("runs")}:
        return  # made by the interim hand-written migration
    op.create_index("runs_triggered_once", "runs", ["job", "triggered_by"], unique=True,
                    sqlite_where=sa.text("triggered_by IS NOT NULL"),
                    postgresql_where=sa.text("triggered_by IS NOT NULL"))
