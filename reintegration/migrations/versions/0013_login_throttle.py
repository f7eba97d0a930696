"""Guess limits: counts of failed attempts per account and per address, under keyed digests
(reintegration/auth/throttle.py), in place of the users' lock (failed_logins, locked_until).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 14:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

from reintegration.migrations.losses import refuse_losses

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "guess_counts",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "scope", "digest", name=op.f("pk_guess_counts")),
    )
    with op.batch_alter_table("guess_counts", schema=None) as batch_op:
        batch_op.create_index("ix_guess_counts_last_failed_at", ["last_failed_at"], unique=False)
    # A lock in progress ends with the upgrade: the new waits take over, from nothing.
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("locked_until")
        batch_op.drop_column("failed_logins")


def downgrade():
    # Nothing is counted as lost: the counts of failed guesses only hold back attempts for
    # minutes, and the older release starts its own counts again from nothing.
    refuse_losses()
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("guess_counts", schema=None) as batch_op:
        batch_op.drop_index("ix_guess_counts_last_failed_at")
    op.drop_table("guess_counts")
