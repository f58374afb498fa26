"""Job trigger columns (`on_drift`, `on_degraded`) and the run that triggered a run (`triggered_by`).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A store written by the interim hand-written migration may have them already: add only what is missing.
    inspector = sa.inspect(op.get_bind())
    for table, column, type_ in (("jobs", "on_drift", sa.Text), ("jobs", "on_degraded", sa.Text),
                                 ("runs", "triggered_by", sa.Integer)):
        if column not in {c["name"] for c in inspector.get_columns(table)}:
            op.add_column(table, sa.Column(column, type_, nullable=True))
