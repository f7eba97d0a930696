"""Background work in the database: support workbooks made in the background and import
previews, which every web worker and server sees (reintegration/exports/jobs.py,
reintegration/imports/pending.py).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 04:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

from reintegration.migrations.losses import refuse_losses

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "export_jobs",
        sa.Column("token", sa.String(length=43), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        # The order, in plain values: enough to make the workbook again in any process.
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("province_id", sa.Integer(), nullable=True),
        sa.Column("facility_id", sa.Integer(), nullable=True),
        sa.Column("names", sa.Boolean(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("rows_written", sa.Integer(), nullable=False),
        sa.Column("rows_expected", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("runner", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_export_jobs_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["province_id"], ["provinces.id"], name=op.f("fk_export_jobs_province_id_provinces")
        ),
        sa.ForeignKeyConstraint(
            ["facility_id"], ["facilities.id"], name=op.f("fk_export_jobs_facility_id_facilities")
        ),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_export_jobs")),
    )
    with op.batch_alter_table("export_jobs", schema=None) as batch_op:
        batch_op.create_index("ix_export_jobs_started_at", ["started_at"], unique=False)
        batch_op.create_index(
            "ix_export_jobs_state_heartbeat_at", ["state", "heartbeat_at"], unique=False
        )
    # The finished workbook, sealed (reintegration/sealing.py) in parts of a few megabytes, so
    # that neither making nor serving it holds the whole file in memory.
    op.create_table(
        "export_job_parts",
        sa.Column("token", sa.String(length=43), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["token"],
            ["export_jobs.token"],
            name=op.f("fk_export_job_parts_token_export_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token", "number", name=op.f("pk_export_job_parts")),
    )
    op.create_table(
        "import_previews",
        sa.Column("token", sa.String(length=43), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_import_previews_user_id_users")
        ),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_import_previews")),
    )
    with op.batch_alter_table("import_previews", schema=None) as batch_op:
        batch_op.create_index("ix_import_previews_created_at", ["created_at"], unique=False)


def downgrade():
    # Workbooks waiting for their download and previews waiting for their import.
    refuse_losses(tables=["export_jobs", "import_previews"])
    with op.batch_alter_table("import_previews", schema=None) as batch_op:
        batch_op.drop_index("ix_import_previews_created_at")
    op.drop_table("import_previews")
    op.drop_table("export_job_parts")
    with op.batch_alter_table("export_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_export_jobs_state_heartbeat_at")
        batch_op.drop_index("ix_export_jobs_started_at")
    op.drop_table("export_jobs")
