"""Reminders: rules as data, reminders keyed by (rule, subject, due date), daily digests,
the scheduler's job store; discharge planning on stays.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 06:50:18.541899
"""

import sqlalchemy as sa
from alembic import op

from reintegration.migrations.losses import refuse_losses

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


# (code, value, roles), in the order shown: rules.py says what each looks for and what its value means.
RULES = [
    ("stay_ending", 10, ["shelter_staff"]),
    ("stay_overdue", 1, ["shelter_staff", "provincial_officer"]),
    ("no_needs_assessment", 3, ["shelter_staff"]),
    ("no_plan", 30, ["shelter_staff", "case_worker"]),
    ("decision_due", 2, ["provincial_officer"]),
    ("allowance_unpaid", 10, ["shelter_staff", "provincial_officer"]),
    ("course_starting", 7, ["trainer"]),
    ("course_ending", 7, ["trainer"]),
    ("trainee_absent", 3, ["trainer", "case_worker"]),
    ("followup_due", 7, ["case_worker"]),
    ("risk_flag_open", 7, ["case_worker", "provincial_officer"]),
    ("consent_old", 365, ["shelter_staff", "case_worker"]),
]


def _seed_rules():
    rules = sa.table(
        "reminder_rules",
        sa.column("id", sa.Integer),
        sa.column("code", sa.String),
        sa.column("enabled", sa.Boolean),
        sa.column("value", sa.Integer),
        sa.column("repeat_days", sa.Integer),
        sa.column("sort_order", sa.Integer),
    )
    roles = sa.table(
        "reminder_rule_roles", sa.column("rule_id", sa.Integer), sa.column("role", sa.String)
    )
    op.bulk_insert(
        rules,
        [
            {
                "id": number,
                "code": code,
                "enabled": True,
                "value": value,
                "repeat_days": 7,
                "sort_order": number,
            }
            for number, (code, value, _roles) in enumerate(RULES, start=1)
        ],
    )
    op.bulk_insert(
        roles,
        [
            {"rule_id": number, "role": role}
            for number, (_code, _value, audience) in enumerate(RULES, start=1)
            for role in audience
        ],
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SELECT setval('reminder_rules_id_seq', (SELECT max(id) FROM reminder_rules))")


def upgrade():
    op.create_table(
        "reminder_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("repeat_days", sa.Integer(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_rules")),
        sa.UniqueConstraint("code", name=op.f("uq_reminder_rules_code")),
    )
    op.create_table(
        "scheduler_jobs",
        sa.Column("id", sa.Unicode(length=191), nullable=False),
        sa.Column("next_run_time", sa.Float(precision=25), nullable=True),
        sa.Column("job_state", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduler_jobs")),
    )
    with op.batch_alter_table("scheduler_jobs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_scheduler_jobs_next_run_time"), ["next_run_time"], unique=False
        )

    op.create_table(
        "reminder_rule_roles",
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "admin",
                "shelter_staff",
                "trainer",
                "provincial_officer",
                "case_worker",
                name="role",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["reminder_rules.id"],
            name=op.f("fk_reminder_rule_roles_rule_id_reminder_rules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("rule_id", "role", name=op.f("pk_reminder_rule_roles")),
    )
    op.create_table(
        "digest_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminders", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_digest_deliveries_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_deliveries")),
        sa.UniqueConstraint("user_id", "day", name="uq_digest_deliveries_day"),
    )
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("course_id", sa.Integer(), nullable=True),
        sa.Column("facility_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_reminders_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_reminders_course_id_courses")
        ),
        sa.ForeignKeyConstraint(
            ["facility_id"], ["facilities.id"], name=op.f("fk_reminders_facility_id_facilities")
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["reminder_rules.id"], name=op.f("fk_reminders_rule_id_reminder_rules")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders")),
        sa.UniqueConstraint("rule_id", "subject_id", "due_on", name="uq_reminders_key"),
    )
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reminders_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reminders_course_id"), ["course_id"], unique=False)
        batch_op.create_index(
            "ix_reminders_live",
            ["rule_id", "subject_id"],
            unique=False,
            sqlite_where=sa.text("closed_at IS NULL"),
            postgresql_where=sa.text("closed_at IS NULL"),
        )

    op.create_table(
        "reminder_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reminder_id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "admin",
                "shelter_staff",
                "trainer",
                "provincial_officer",
                "case_worker",
                name="role",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("hidden_until", sa.Date(), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("marked_by_id", sa.Integer(), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["marked_by_id"], ["users.id"], name=op.f("fk_reminder_marks_marked_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["reminder_id"], ["reminders.id"], name=op.f("fk_reminder_marks_reminder_id_reminders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_marks")),
    )
    with op.batch_alter_table("reminder_marks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reminder_marks_reminder_id"), ["reminder_id"], unique=False
        )

    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.create_index(
            "ix_services_kind_case", ["kind_id", "case_id", "provided_on"], unique=False
        )

    with op.batch_alter_table("stays", schema=None) as batch_op:
        batch_op.add_column(sa.Column("discharge_planned_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("planned_destination_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_stays_planned_destination_id_list_items"),
            "list_items",
            ["planned_destination_id"],
            ["id"],
        )

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("wants_digest", sa.Boolean(), nullable=False, server_default=sa.false())
        )

    _seed_rules()


def downgrade():
    # scheduler_jobs is not counted: the scheduler writes its jobs again when it starts.
    refuse_losses(
        tables=[
            "reminder_marks",
            "reminders",
            "digest_deliveries",
            "reminder_rule_roles",
            "reminder_rules",
        ],
        shipped={
            "reminder_rules": len(RULES),
            "reminder_rule_roles": sum(len(audience) for _c, _v, audience in RULES),
        },
        columns=["stays.discharge_planned_on", "stays.planned_destination_id"],
        values={"users.wants_digest": "wants_digest"},
    )
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.drop_index("ix_services_kind_case")

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("wants_digest")

    with op.batch_alter_table("stays", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_stays_planned_destination_id_list_items"), type_="foreignkey"
        )
        batch_op.drop_column("planned_destination_id")
        batch_op.drop_column("discharge_planned_on")

    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_reminders_live",
            sqlite_where=sa.text("closed_at IS NULL"),
            postgresql_where=sa.text("closed_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_reminders_course_id"))
        batch_op.drop_index(batch_op.f("ix_reminders_case_id"))

    with op.batch_alter_table("reminder_marks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reminder_marks_reminder_id"))
    op.drop_table("reminder_marks")
    op.drop_table("reminders")
    op.drop_table("digest_deliveries")
    op.drop_table("reminder_rule_roles")
    with op.batch_alter_table("scheduler_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scheduler_jobs_next_run_time"))

    op.drop_table("scheduler_jobs")
    op.drop_table("reminder_rules")
