"""Livelihood: plans, training, employers and placements, follow-ups, closure.

Also ships the starting lists of trades, soft-skills modules and risk signs, and the indicators
of the sustainability check; administrators change them afterwards.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from reintegration.migrations.losses import delete_unused, refuse_losses

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

LISTS = {
    "trade": [
        ("BEAUTY", "Chăm sóc sắc đẹp", "Beauty care"),
        ("FOOD", "Chế biến thực phẩm", "Food processing"),
        ("ECOMMERCE", "Thương mại điện tử", "E-commerce"),
        ("TOURISM", "Dịch vụ du lịch", "Tourism services"),
        ("COOKING", "Nấu ăn", "Cooking"),
        ("SEWING", "May công nghiệp", "Industrial sewing"),
        ("FARMING", "Trồng trọt, chăn nuôi", "Farming and animal husbandry"),
        ("HANDICRAFT", "Thủ công mỹ nghệ", "Handicrafts"),
        ("OTHER", "Nghề khác", "Other trade"),
    ],
    "soft_skill": [
        ("FINANCE", "Quản lý tài chính cá nhân", "Personal finance"),
        ("LEGAL", "Kiến thức pháp luật cơ bản", "Basic legal knowledge"),
        ("WORKPLACE", "Tác phong nơi làm việc", "Workplace behaviour"),
        ("CAREER", "Định hướng nghề nghiệp", "Career orientation"),
    ],
    "risk_sign": [
        ("OFFER_ABROAD", "Có lời mời đi làm việc ở nước ngoài", "New offer of work abroad"),
        ("DEBT", "Mắc nợ", "Debt"),
        ("RECRUITER", "Liên lạc với người môi giới, kẻ mua bán", "Contact with the recruiter"),
        ("FAMILY_CONFLICT", "Mâu thuẫn gia đình", "Family conflict"),
        ("DROPPED_TRAINING", "Bỏ học nghề", "Dropped out of training"),
        ("JOBLESS", "Mất việc làm", "Lost the job"),
        ("ISOLATION", "Bị kỳ thị, cô lập", "Stigma or isolation"),
    ],
}

# (code, dimension, Vietnamese, English, weight)
INDICATORS = [
    ("INCOME", "economic", "Có thu nhập đều đặn", "Has a regular income", 2),
    ("NEEDS", "economic", "Đủ ăn, đủ chi tiêu thiết yếu", "Can meet basic needs", 1),
    ("SKILLS", "economic", "Có kỹ năng để làm việc", "Has skills to work", 1),
    ("HOUSING", "social", "Có chỗ ở ổn định", "Has stable housing", 1),
    (
        "SERVICES",
        "social",
        "Tiếp cận được dịch vụ y tế, giấy tờ",
        "Can reach health care and papers",
        1,
    ),
    ("NETWORK", "social", "Có người thân, bạn bè hỗ trợ", "Has family or friends to rely on", 1),
    ("SAFETY", "psychosocial", "Cảm thấy an toàn", "Feels safe", 2),
    ("WELLBEING", "psychosocial", "Tâm trạng ổn định", "Feels emotionally well", 1),
    ("FUTURE", "psychosocial", "Có kế hoạch cho tương lai", "Has plans for the future", 1),
]


def _seed():
    items = sa.table(
        "list_items",
        *[sa.column(c) for c in ("kind", "code", "name_vi", "name_en", "sort_order", "active")],
    )
    op.bulk_insert(
        items,
        [
            {
                "kind": kind,
                "code": code,
                "name_vi": vi,
                "name_en": en,
                "sort_order": i,
                "active": True,
            }
            for kind, entries in LISTS.items()
            for i, (code, vi, en) in enumerate(entries)
        ],
    )
    indicators = sa.table(
        "indicators",
        *[
            sa.column(c)
            for c in ("code", "dimension", "name_vi", "name_en", "weight", "sort_order", "active")
        ],
    )
    op.bulk_insert(
        indicators,
        [
            {
                "code": code,
                "dimension": dimension,
                "name_vi": vi,
                "name_en": en,
                "weight": weight,
                "sort_order": i,
                "active": True,
            }
            for i, (code, dimension, vi, en, weight) in enumerate(INDICATORS)
        ],
    )


def upgrade():
    op.create_table(
        "indicators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column(
            "dimension",
            sa.Enum(
                "economic", "social", "psychosocial", name="dimension", native_enum=False, length=40
            ),
            nullable=False,
        ),
        sa.Column("name_vi", sa.String(length=300), nullable=False),
        sa.Column("name_en", sa.String(length=300), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint("weight > 0", name=op.f("ck_indicators_weight_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicators")),
        sa.UniqueConstraint("code", name=op.f("uq_indicators_code")),
    )
    op.create_table(
        "employers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "business",
                "cooperative",
                "small_production",
                "industrial_park",
                name="employerkind",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("sector", sa.String(length=200), nullable=False),
        sa.Column("province_id", sa.Integer(), nullable=False),
        sa.Column("commune_id", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("contact_name", sa.String(length=200), nullable=False),
        sa.Column("contact_phone", sa.String(length=50), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["commune_id"], ["communes.id"], name=op.f("fk_employers_commune_id_communes")
        ),
        sa.ForeignKeyConstraint(
            ["province_id"], ["provinces.id"], name=op.f("fk_employers_province_id_provinces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_employers")),
    )
    with op.batch_alter_table("employers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_employers_province_id"), ["province_id"], unique=False)

    op.create_table(
        "courses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("trade", "soft_skills", name="coursekind", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=200), nullable=False),
        sa.Column("province_id", sa.Integer(), nullable=False),
        sa.Column("trainer_id", sa.Integer(), nullable=True),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("end_on", sa.Date(), nullable=False),
        sa.Column("schedule", sa.String(length=300), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("cost_per_trainee", sa.BigInteger(), nullable=False),
        sa.Column("market_demand", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("capacity >= 0", name=op.f("ck_courses_capacity_not_negative")),
        sa.CheckConstraint("cost_per_trainee >= 0", name=op.f("ck_courses_cost_not_negative")),
        sa.CheckConstraint("end_on >= start_on", name=op.f("ck_courses_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["province_id"], ["provinces.id"], name=op.f("fk_courses_province_id_provinces")
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"], ["list_items.id"], name=op.f("fk_courses_topic_id_list_items")
        ),
        sa.ForeignKeyConstraint(
            ["trainer_id"], ["users.id"], name=op.f("fk_courses_trainer_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_courses")),
    )
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_courses_province_id"), ["province_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_courses_trainer_id"), ["trainer_id"], unique=False)

    op.create_table(
        "employer_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employer_id", sa.Integer(), nullable=False),
        sa.Column("checked_on", sa.Date(), nullable=False),
        sa.Column("checked_by", sa.String(length=200), nullable=False),
        sa.Column("written_contract", sa.Boolean(), nullable=False),
        sa.Column("wages_on_time", sa.Boolean(), nullable=False),
        sa.Column("no_withheld_documents", sa.Boolean(), nullable=False),
        sa.Column("no_debt", sa.Boolean(), nullable=False),
        sa.Column("safe_housing", sa.Boolean(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["employer_id"], ["employers.id"], name=op.f("fk_employer_checks_employer_id_employers")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_employer_checks_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_employer_checks")),
    )
    with op.batch_alter_table("employer_checks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_employer_checks_employer_id"), ["employer_id"], unique=False
        )

    op.create_table(
        "case_closures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "reintegrated",
                "lost_contact",
                "moved_away",
                "re_trafficked",
                "deceased",
                name="outcome",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("closed_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("reopened_on", sa.Date(), nullable=True),
        sa.Column("reopen_reason", sa.Text(), nullable=False),
        sa.Column("reopened_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_closures_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["closed_by_id"], ["users.id"], name=op.f("fk_case_closures_closed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["reopened_by_id"], ["users.id"], name=op.f("fk_case_closures_reopened_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_closures")),
    )
    with op.batch_alter_table("case_closures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_closures_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            "uq_case_closures_open",
            ["case_id"],
            unique=True,
            sqlite_where=sa.text("reopened_on IS NULL"),
            postgresql_where=sa.text("reopened_on IS NULL"),
        )

    op.create_table(
        "course_employers",
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("employer_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_course_employers_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["employer_id"],
            ["employers.id"],
            name=op.f("fk_course_employers_employer_id_employers"),
        ),
        sa.PrimaryKeyConstraint("course_id", "employer_id", name=op.f("pk_course_employers")),
    )
    op.create_table(
        "enrolments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "referred",
                "enrolled",
                "attending",
                "completed",
                "dropped_out",
                name="enrolmentstatus",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("referred_on", sa.Date(), nullable=False),
        sa.Column("enrolled_on", sa.Date(), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("certificate_number", sa.String(length=100), nullable=False),
        sa.Column("certificate_on", sa.Date(), nullable=True),
        sa.Column("dropped_out_on", sa.Date(), nullable=True),
        sa.Column("dropout_reason", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_enrolments_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_enrolments_course_id_courses")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_enrolments_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolments")),
        sa.UniqueConstraint("course_id", "case_id", name=op.f("uq_enrolments_course_id")),
    )
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_enrolments_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_enrolments_course_id"), ["course_id"], unique=False)

    op.create_table(
        "placements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("employer_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.String(length=200), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("monthly_wage", sa.BigInteger(), nullable=False),
        sa.Column("in_home_province", sa.Boolean(), nullable=False),
        sa.Column("housing_support", sa.Boolean(), nullable=False),
        sa.Column(
            "contract_type",
            sa.Enum(
                "indefinite",
                "fixed_term",
                "seasonal",
                "none",
                name="contracttype",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("end_on", sa.Date(), nullable=True),
        sa.Column(
            "end_reason",
            sa.Enum(
                "resigned",
                "dismissed",
                "contract_ended",
                "moved",
                "other",
                name="endreason",
                native_enum=False,
                length=40,
            ),
            nullable=True,
        ),
        sa.Column("end_note", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "end_on IS NULL OR end_on >= start_on", name=op.f("ck_placements_ends_after_start")
        ),
        sa.CheckConstraint("monthly_wage >= 0", name=op.f("ck_placements_wage_not_negative")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_placements_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_placements_course_id_courses")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_placements_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["employer_id"], ["employers.id"], name=op.f("fk_placements_employer_id_employers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_placements")),
    )
    with op.batch_alter_table("placements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_placements_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_placements_course_id"), ["course_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_placements_employer_id"), ["employer_id"], unique=False
        )

    op.create_table(
        "plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("agreed_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_plans_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_plans_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plans")),
        sa.UniqueConstraint("case_id", name=op.f("uq_plans_case_id")),
    )
    op.create_table(
        "training_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_training_sessions_course_id_courses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_sessions")),
        sa.UniqueConstraint("course_id", "held_on", name=op.f("uq_training_sessions_course_id")),
    )
    op.create_table(
        "attendance",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.Column("present", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enrolment_id"], ["enrolments.id"], name=op.f("fk_attendance_enrolment_id_enrolments")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["training_sessions.id"],
            name=op.f("fk_attendance_session_id_training_sessions"),
        ),
        sa.PrimaryKeyConstraint("session_id", "enrolment_id", name=op.f("pk_attendance")),
    )
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_attendance_enrolment_id"), ["enrolment_id"], unique=False
        )

    op.create_table(
        "followups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column(
            "reason",
            sa.Enum(
                "discharge",
                "placement",
                "other",
                name="followupreason",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("stay_id", sa.Integer(), nullable=True),
        sa.Column("placement_id", sa.Integer(), nullable=True),
        sa.Column("mark_months", sa.Integer(), nullable=True),
        sa.Column("planned_on", sa.Date(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("done_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "method",
            sa.Enum(
                "home_visit", "phone", "office", name="contactmethod", native_enum=False, length=40
            ),
            nullable=True,
        ),
        sa.Column("contact_made", sa.Boolean(), nullable=True),
        sa.Column("still_in_job", sa.Boolean(), nullable=True),
        sa.Column("wellbeing", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_followups_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["done_by_id"], ["users.id"], name=op.f("fk_followups_done_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["placement_id"], ["placements.id"], name=op.f("fk_followups_placement_id_placements")
        ),
        sa.ForeignKeyConstraint(["stay_id"], ["stays.id"], name=op.f("fk_followups_stay_id_stays")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followups")),
    )
    with op.batch_alter_table("followups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_followups_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_followups_done_on"), ["done_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_followups_planned_on"), ["planned_on"], unique=False)

    op.create_table(
        "plan_goals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column(
            "dimension",
            sa.Enum(
                "economic", "social", "psychosocial", name="dimension", native_enum=False, length=40
            ),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("target_on", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "planned",
                "in_progress",
                "met",
                "dropped",
                name="goalstatus",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_plan_goals_plan_id_plans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_goals")),
    )
    with op.batch_alter_table("plan_goals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_goals_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "followup_risk_signs",
        sa.Column("followup_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["followup_id"],
            ["followups.id"],
            name=op.f("fk_followup_risk_signs_followup_id_followups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["list_items.id"], name=op.f("fk_followup_risk_signs_item_id_list_items")
        ),
        sa.PrimaryKeyConstraint("followup_id", "item_id", name=op.f("pk_followup_risk_signs")),
    )
    op.create_table(
        "risk_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("followup_id", sa.Integer(), nullable=True),
        sa.Column("raised_on", sa.Date(), nullable=False),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_risk_flags_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["followup_id"], ["followups.id"], name=op.f("fk_risk_flags_followup_id_followups")
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"], ["users.id"], name=op.f("fk_risk_flags_resolved_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_flags")),
    )
    with op.batch_alter_table("risk_flags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_flags_case_id"), ["case_id"], unique=False)

    op.create_table(
        "sustainability_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("followup_id", sa.Integer(), nullable=True),
        sa.Column("checked_on", sa.Date(), nullable=False),
        sa.Column("economic", sa.Integer(), nullable=False),
        sa.Column("social", sa.Integer(), nullable=False),
        sa.Column("psychosocial", sa.Integer(), nullable=False),
        sa.Column("composite", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_sustainability_checks_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["followup_id"],
            ["followups.id"],
            name=op.f("fk_sustainability_checks_followup_id_followups"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sustainability_checks")),
        sa.UniqueConstraint("followup_id", name=op.f("uq_sustainability_checks_followup_id")),
    )
    with op.batch_alter_table("sustainability_checks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sustainability_checks_case_id"), ["case_id"], unique=False
        )

    op.create_table(
        "indicator_answers",
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "value BETWEEN 1 AND 5", name=op.f("ck_indicator_answers_value_on_scale")
        ),
        sa.ForeignKeyConstraint(
            ["check_id"],
            ["sustainability_checks.id"],
            name=op.f("fk_indicator_answers_check_id_sustainability_checks"),
        ),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicators.id"],
            name=op.f("fk_indicator_answers_indicator_id_indicators"),
        ),
        sa.PrimaryKeyConstraint("check_id", "indicator_id", name=op.f("pk_indicator_answers")),
    )
    _seed()


TABLES = [
    "indicator_answers",
    "sustainability_checks",
    "risk_flags",
    "followup_risk_signs",
    "plan_goals",
    "followups",
    "attendance",
    "training_sessions",
    "plans",
    "placements",
    "enrolments",
    "course_employers",
    "case_closures",
    "employer_checks",
    "courses",
    "employers",
    "indicators",
]
SHIPPED_ITEMS = "kind IN ('trade', 'soft_skill', 'risk_sign')"


def downgrade():
    refuse_losses(
        tables=TABLES,
        shipped={"indicators": len(INDICATORS)},
        rows={"list_items": (SHIPPED_ITEMS, sum(len(entries) for entries in LISTS.values()))},
    )
    op.drop_table("indicator_answers")
    with op.batch_alter_table("sustainability_checks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sustainability_checks_case_id"))

    op.drop_table("sustainability_checks")
    with op.batch_alter_table("risk_flags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_flags_case_id"))

    op.drop_table("risk_flags")
    op.drop_table("followup_risk_signs")
    with op.batch_alter_table("plan_goals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_goals_plan_id"))

    op.drop_table("plan_goals")
    with op.batch_alter_table("followups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_followups_planned_on"))
        batch_op.drop_index(batch_op.f("ix_followups_done_on"))
        batch_op.drop_index(batch_op.f("ix_followups_case_id"))

    op.drop_table("followups")
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attendance_enrolment_id"))

    op.drop_table("attendance")
    op.drop_table("training_sessions")
    op.drop_table("plans")
    with op.batch_alter_table("placements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_placements_employer_id"))
        batch_op.drop_index(batch_op.f("ix_placements_course_id"))
        batch_op.drop_index(batch_op.f("ix_placements_case_id"))

    op.drop_table("placements")
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enrolments_course_id"))
        batch_op.drop_index(batch_op.f("ix_enrolments_case_id"))

    op.drop_table("enrolments")
    op.drop_table("course_employers")
    with op.batch_alter_table("case_closures", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_case_closures_open",
            sqlite_where=sa.text("reopened_on IS NULL"),
            postgresql_where=sa.text("reopened_on IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_case_closures_case_id"))

    op.drop_table("case_closures")
    with op.batch_alter_table("employer_checks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_employer_checks_employer_id"))

    op.drop_table("employer_checks")
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_courses_trainer_id"))
        batch_op.drop_index(batch_op.f("ix_courses_province_id"))

    op.drop_table("courses")
    with op.batch_alter_table("employers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_employers_province_id"))

    op.drop_table("employers")
    op.drop_table("indicators")
    # After the tables that refer to them are gone; items other records use stay.
    delete_unused("list_items", SHIPPED_ITEMS)
