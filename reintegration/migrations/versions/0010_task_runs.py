"""Task runs: when the reminder pass, the digest and the backup last ran, and whether the
last run failed (reintegration/operations/runs.py).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 05:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

from reintegration.migrations.losses import refuse_losses

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "task_runs",
        sa.Column("task", sa.String(length=40), nullable=False),
        sa.Column("last_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_succeeded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_failed", sa.Boolean(), nullable=False),
        sa.Column("error", sa.String(length=80), nullable=True),
        sa.Column("schema_revision", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("task", name=op.f("pk_task_runs")),
    )


def downgrade():
    # The history of background runs: no case data, but the administrator's page and the
    # check before migrating PostgreSQL (a recent backup) read it.
    refuse_losses(tables=["task_runs"])
    op.drop_table("task_runs")
