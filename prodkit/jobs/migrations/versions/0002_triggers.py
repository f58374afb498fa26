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
    op.add_column("jobs", sa.Column("on_drift", sa.Text, nullable=True))
    op.add_column("jobs", sa.Column("on_degraded", sa.Text, nullable=True))
    op.add_column("runs", sa.Column("triggered_by", sa.Integer, nullable=True))
