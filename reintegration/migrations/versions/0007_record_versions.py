"""A version counter on every record that several people may edit at once.

An edit form carries the version it was read at; saving an older version changes nothing
(reintegration/versions.py). Existing rows start at version 1.

Plain ADD COLUMN, on SQLite too: a NOT NULL column with a constant default needs no table
rebuild, and a batch rebuild of a populated table with foreign keys on would fail.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 01:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

VERSIONED = (
    "cases",
    "stays",
    "plans",
    "plan_goals",
    "courses",
    "employers",
    "allowances",
    "followups",
    "facilities",
    "users",
    "assistance_levels",
    "allowance_kinds",
    "allowance_rules",
    "holidays",
    "reminder_rules",
    "indicators",
)


def upgrade():
    for table in VERSIONED:
        op.add_column(
            table, sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False)
        )


def downgrade():
    # Nothing is lost: a version only tells two edits of a record apart, and a form opened
    # before the downgrade is saved as before (reintegration/versions.py).
    for table in reversed(VERSIONED):
        op.drop_column(table, "version")
