"""Login sessions kept on the server, so that a logout, a password or role change or an
administrator ends them at once (reintegration/auth/sessions.py). Users logged in before the
upgrade have no session here: they are asked to log in again.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 14:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

from reintegration.migrations.losses import refuse_losses

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        # SHA-256 of the cookie's token: a copy of the database opens no session.
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=40), nullable=True),
        sa.Column("browser", sa.String(length=40), nullable=False),
        sa.Column("system", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_sessions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("token_digest", name=op.f("uq_user_sessions_token_digest")),
    )
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_user_sessions_user_id", ["user_id"], unique=False)
        batch_op.create_index("ix_user_sessions_last_seen_at", ["last_seen_at"], unique=False)


def downgrade():
    # Nothing is refused: the rows are who is logged in now, not records. The older release
    # goes back to its signed cookies.
    refuse_losses()
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_user_sessions_last_seen_at")
        batch_op.drop_index("ix_user_sessions_user_id")
    op.drop_table("user_sessions")
