"""Index cases by date received: the case list's default order.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("cases") as batch_op:
        batch_op.create_index("ix_cases_received", ["received_on", "id"], unique=False)


def downgrade():
    # Nothing is lost: an index holds no data of its own.
    with op.batch_alter_table("cases") as batch_op:
        batch_op.drop_index("ix_cases_received")
