"""Allowances: the support policy as dated data, requests, decisions and payments.

Ships a starting policy that administrators edit: the standard social-assistance level
(360,000 dong from 2021-07-01, 500,000 from 2024-07-01), public holidays of 2025 and 2026, and
four allowance kinds whose amounts follow the examples of MISSION.md. Payments are made
append-only and paid, refused or cancelled allowances unchangeable by the database itself.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from reintegration.migrations.losses import refuse_losses

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


LEVELS = [
    ("2021-07-01", 360_000, "Nghị định 20/2021/NĐ-CP"),
    ("2024-07-01", 500_000, "Nghị định 76/2024/NĐ-CP"),
]

# Weekdays off; weekends are never working days. Check each year's official announcement.
HOLIDAYS = [
    ("2025-01-01", "Tết Dương lịch", "New Year's Day"),
    *[(f"2025-01-{d}", "Tết Nguyên đán", "Lunar New Year (Tet)") for d in range(27, 32)],
    ("2025-04-07", "Giỗ Tổ Hùng Vương", "Hung Kings' Commemoration"),
    ("2025-04-30", "Ngày Giải phóng miền Nam", "Reunification Day"),
    ("2025-05-01", "Ngày Quốc tế Lao động", "International Labour Day"),
    ("2025-05-02", "Nghỉ bù", "Day off in lieu"),
    ("2025-09-01", "Quốc khánh", "National Day"),
    ("2025-09-02", "Quốc khánh", "National Day"),
    ("2026-01-01", "Tết Dương lịch", "New Year's Day"),
    *[(f"2026-02-{d}", "Tết Nguyên đán", "Lunar New Year (Tet)") for d in range(16, 21)],
    ("2026-04-27", "Nghỉ bù Giỗ Tổ Hùng Vương", "Hung Kings' Commemoration (in lieu)"),
    ("2026-04-30", "Ngày Giải phóng miền Nam", "Reunification Day"),
    ("2026-05-01", "Ngày Quốc tế Lao động", "International Labour Day"),
    ("2026-09-01", "Quốc khánh", "National Day"),
    ("2026-09-02", "Quốc khánh", "National Day"),
]

STARTING = "Mức khởi đầu, có thể sửa: tỉnh đặt mức của mình. / Starting value, editable."

# code, support type letter, Vietnamese name, English name, legal basis, decision working days,
# and its national rule: method, amount, coefficient, max days, max times.
KINDS = [
    (
        "MEALS",
        "a",
        "Tiền ăn trong thời gian hỗ trợ",
        "Meals during the support",
        "Luật 53/2024/QH15, Điều 37(a); Nghị định 162/2025/NĐ-CP, Điều 17: tối đa 120 ngày. "
        "Mức 60.000 đ/ngày theo ví dụ Hà Giang 2020. " + STARTING,
        None,
        ("per_day", 60_000, None, 120, None),
    ),
    (
        "CLOTHING",
        "a",
        "Quần áo, đồ dùng cá nhân",
        "Clothing and personal items",
        "Luật 53/2024/QH15, Điều 37(a). Mức 500.000 đ theo ví dụ Hà Giang 2020. " + STARTING,
        None,
        ("fixed", 500_000, None, None, 1),
    ),
    (
        "VOCATIONAL",
        "i",
        "Hỗ trợ học nghề",
        "Vocational training support",
        "Luật 53/2024/QH15, Điều 37(i); Nghị định 162/2025/NĐ-CP, Mẫu 07: quyết định trong "
        "9 ngày làm việc. Hệ số 3 × mức chuẩn trợ giúp xã hội. " + STARTING,
        9,
        ("coefficient", None, "3.00", None, 1),
    ),
    (
        "HARDSHIP",
        "k",
        "Trợ cấp khó khăn ban đầu",
        "Initial-hardship allowance",
        "Luật 53/2024/QH15, Điều 37(k); Nghị định 162/2025/NĐ-CP, Mẫu 07: quyết định trong "
        "9 ngày làm việc. Mức 3.000.000 đ theo ví dụ Hà Giang 2020. " + STARTING,
        9,
        ("fixed", 3_000_000, None, None, 1),
    ),
]

GUARDS = {
    "sqlite": [
        "CREATE TRIGGER payments_no_update BEFORE UPDATE ON payments "
        "BEGIN SELECT RAISE(ABORT, 'a payment never changes: record a correction'); END",
        "CREATE TRIGGER payments_no_delete BEFORE DELETE ON payments "
        "BEGIN SELECT RAISE(ABORT, 'a payment is never deleted: record a correction'); END",
        "CREATE TRIGGER allowances_final_no_update BEFORE UPDATE ON allowances "
        "WHEN OLD.status IN ('paid', 'refused', 'cancelled') "
        "BEGIN SELECT RAISE(ABORT, 'a paid, refused or cancelled allowance never changes'); END",
        "CREATE TRIGGER allowances_no_delete BEFORE DELETE ON allowances "
        "BEGIN SELECT RAISE(ABORT, 'an allowance is never deleted'); END",
    ],
    "postgresql": [
        "CREATE FUNCTION payments_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'a payment never changes: record a correction'; END $$",
        "CREATE TRIGGER payments_no_change BEFORE UPDATE OR DELETE ON payments "
        "FOR EACH ROW EXECUTE FUNCTION payments_append_only()",
        "CREATE FUNCTION allowances_keep_final() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN IF TG_OP = 'DELETE' THEN RAISE EXCEPTION 'an allowance is never deleted'; END IF; "
        "IF OLD.status IN ('paid', 'refused', 'cancelled') THEN "
        "RAISE EXCEPTION 'a paid, refused or cancelled allowance never changes'; END IF; "
        "RETURN NEW; END $$",
        "CREATE TRIGGER allowances_keep_final BEFORE UPDATE OR DELETE ON allowances "
        "FOR EACH ROW EXECUTE FUNCTION allowances_keep_final()",
    ],
}

DROP_GUARDS = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS payments_no_update",
        "DROP TRIGGER IF EXISTS payments_no_delete",
        "DROP TRIGGER IF EXISTS allowances_final_no_update",
        "DROP TRIGGER IF EXISTS allowances_no_delete",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS payments_no_change ON payments",
        "DROP FUNCTION IF EXISTS payments_append_only()",
        "DROP TRIGGER IF EXISTS allowances_keep_final ON allowances",
        "DROP FUNCTION IF EXISTS allowances_keep_final()",
    ],
}


def _table(name, *columns):
    return sa.table(name, *[sa.column(column) for column in columns])


def _seed():
    from datetime import date
    from decimal import Decimal

    op.bulk_insert(
        sa.table(
            "assistance_levels",
            sa.column("valid_from", sa.Date()),
            sa.column("amount"),
            sa.column("legal_basis"),
        ),
        [
            {"valid_from": date.fromisoformat(day), "amount": amount, "legal_basis": basis}
            for day, amount, basis in LEVELS
        ],
    )
    op.bulk_insert(
        sa.table(
            "holidays", sa.column("day", sa.Date()), sa.column("name_vi"), sa.column("name_en")
        ),
        [
            {"day": date.fromisoformat(day), "name_vi": vi, "name_en": en}
            for day, vi, en in HOLIDAYS
        ],
    )
    bind = op.get_bind()
    type_ids: dict[str, int] = dict(
        bind.execute(sa.text("SELECT letter, id FROM support_types")).all()
    )
    kinds = _table(
        "allowance_kinds",
        "code",
        "support_type_id",
        "name_vi",
        "name_en",
        "legal_basis",
        "decision_days",
        "sort_order",
        "active",
    )
    rules = sa.table(
        "allowance_rules",
        sa.column("kind_id"),
        sa.column("province_id"),
        sa.column("method"),
        sa.column("amount"),
        sa.column("coefficient", sa.Numeric(6, 2)),
        sa.column("max_days"),
        sa.column("max_times"),
        sa.column("valid_from", sa.Date()),
        sa.column("valid_to", sa.Date()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    from datetime import UTC, datetime

    for order, (code, letter, vi, en, basis, days, rule) in enumerate(KINDS):
        op.execute(
            kinds.insert().values(
                code=code,
                support_type_id=type_ids[letter],
                name_vi=vi,
                name_en=en,
                legal_basis=basis,
                decision_days=days,
                sort_order=order,
                active=True,
            )
        )
        kind_id = bind.execute(
            sa.text("SELECT id FROM allowance_kinds WHERE code = :code"), {"code": code}
        ).scalar_one()
        method, amount, coefficient, max_days, max_times = rule
        op.execute(
            rules.insert().values(
                kind_id=kind_id,
                province_id=None,
                method=method,
                amount=amount,
                coefficient=Decimal(coefficient) if coefficient else None,
                max_days=max_days,
                max_times=max_times,
                valid_from=date(2025, 7, 1),
                valid_to=None,
                created_at=datetime.now(UTC),
            )
        )


def upgrade():
    op.create_table(
        "assistance_levels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("legal_basis", sa.String(length=300), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_assistance_levels_level_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assistance_levels")),
        sa.UniqueConstraint("valid_from", name=op.f("uq_assistance_levels_valid_from")),
    )
    op.create_table(
        "holidays",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name_vi", sa.String(length=120), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holidays")),
        sa.UniqueConstraint("day", name=op.f("uq_holidays_day")),
    )
    op.create_table(
        "allowance_kinds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("support_type_id", sa.Integer(), nullable=False),
        sa.Column("name_vi", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("decision_days", sa.Integer(), nullable=True),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["support_type_id"],
            ["support_types.id"],
            name=op.f("fk_allowance_kinds_support_type_id_support_types"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allowance_kinds")),
        sa.UniqueConstraint("code", name=op.f("uq_allowance_kinds_code")),
    )
    op.create_table(
        "allowance_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind_id", sa.Integer(), nullable=False),
        sa.Column("province_id", sa.Integer(), nullable=True),
        sa.Column(
            "method",
            sa.Enum("fixed", "per_day", "coefficient", name="method", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("coefficient", sa.Numeric(precision=6, scale=2), nullable=True),
        sa.Column("max_days", sa.Integer(), nullable=True),
        sa.Column("max_times", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "amount IS NULL OR amount > 0", name=op.f("ck_allowance_rules_rule_amount_positive")
        ),
        sa.CheckConstraint(
            "coefficient IS NULL OR coefficient > 0",
            name=op.f("ck_allowance_rules_rule_coefficient_positive"),
        ),
        sa.CheckConstraint(
            "max_days IS NULL OR max_days > 0",
            name=op.f("ck_allowance_rules_rule_max_days_positive"),
        ),
        sa.CheckConstraint(
            "max_times IS NULL OR max_times > 0",
            name=op.f("ck_allowance_rules_rule_max_times_positive"),
        ),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to >= valid_from",
            name=op.f("ck_allowance_rules_rule_dates_in_order"),
        ),
        sa.ForeignKeyConstraint(
            ["kind_id"],
            ["allowance_kinds.id"],
            name=op.f("fk_allowance_rules_kind_id_allowance_kinds"),
        ),
        sa.ForeignKeyConstraint(
            ["province_id"], ["provinces.id"], name=op.f("fk_allowance_rules_province_id_provinces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allowance_rules")),
    )
    with op.batch_alter_table("allowance_rules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_allowance_rules_kind_id"), ["kind_id"], unique=False)

    op.create_table(
        "allowances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=True),
        sa.Column("days", sa.Integer(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("computation", sa.JSON(), nullable=False),
        sa.Column("applied_on", sa.Date(), nullable=False),
        sa.Column("documents", sa.Text(), nullable=False),
        sa.Column("decision_due_on", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "requested",
                "approved",
                "refused",
                "paid",
                "cancelled",
                name="allowancestatus",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("cancelled_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_allowances_allowance_amount_not_negative")),
        sa.CheckConstraint(
            "decided_by_id IS NULL OR decided_by_id <> requested_by_id",
            name=op.f("ck_allowances_four_eyes"),
        ),
        sa.CheckConstraint(
            "period_to IS NULL OR period_to >= period_from",
            name=op.f("ck_allowances_period_in_order"),
        ),
        sa.ForeignKeyConstraint(
            ["cancelled_by_id"], ["users.id"], name=op.f("fk_allowances_cancelled_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_allowances_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_allowances_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["facility_id"], ["facilities.id"], name=op.f("fk_allowances_facility_id_facilities")
        ),
        sa.ForeignKeyConstraint(
            ["kind_id"], ["allowance_kinds.id"], name=op.f("fk_allowances_kind_id_allowance_kinds")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["users.id"], name=op.f("fk_allowances_requested_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["allowance_rules.id"], name=op.f("fk_allowances_rule_id_allowance_rules")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allowances")),
    )
    with op.batch_alter_table("allowances", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_allowances_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            "ix_allowances_facility_status", ["facility_id", "status"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_allowances_kind_id"), ["kind_id"], unique=False)
        batch_op.create_index(
            "ix_allowances_status_applied", ["status", "applied_on"], unique=False
        )

    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("allowance_id", sa.Integer(), nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("corrects_id", sa.Integer(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column(
            "method",
            sa.Enum("cash", "bank_transfer", name="paymentmethod", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("receipt_number", sa.String(length=60), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("paid_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(corrects_id IS NULL AND amount > 0) OR (corrects_id IS NOT NULL AND reason <> '')",
            name=op.f("ck_payments_correction_has_reason"),
        ),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_payments_payment_not_zero")),
        sa.ForeignKeyConstraint(
            ["allowance_id"], ["allowances.id"], name=op.f("fk_payments_allowance_id_allowances")
        ),
        sa.ForeignKeyConstraint(
            ["corrects_id"], ["payments.id"], name=op.f("fk_payments_corrects_id_payments")
        ),
        sa.ForeignKeyConstraint(
            ["facility_id"], ["facilities.id"], name=op.f("fk_payments_facility_id_facilities")
        ),
        sa.ForeignKeyConstraint(
            ["paid_by_id"], ["users.id"], name=op.f("fk_payments_paid_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("facility_id", "receipt_number", name="uq_payments_receipt"),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payments_allowance_id"), ["allowance_id"], unique=False
        )
        batch_op.create_index("ix_payments_paid_on", ["paid_on"], unique=False)
        batch_op.create_index(
            "uq_payments_one_per_allowance",
            ["allowance_id"],
            unique=True,
            sqlite_where=sa.text("corrects_id IS NULL"),
            postgresql_where=sa.text("corrects_id IS NULL"),
        )

    _seed()
    for statement in GUARDS.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def downgrade():
    refuse_losses(
        tables=[
            "payments",
            "allowances",
            "allowance_rules",
            "allowance_kinds",
            "holidays",
            "assistance_levels",
        ],
        shipped={
            "allowance_rules": len(KINDS),
            "allowance_kinds": len(KINDS),
            "holidays": len(HOLIDAYS),
            "assistance_levels": len(LEVELS),
        },
    )
    for statement in DROP_GUARDS.get(op.get_bind().dialect.name, []):
        op.execute(statement)
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_payments_one_per_allowance",
            sqlite_where=sa.text("corrects_id IS NULL"),
            postgresql_where=sa.text("corrects_id IS NULL"),
        )
        batch_op.drop_index("ix_payments_paid_on")
        batch_op.drop_index(batch_op.f("ix_payments_allowance_id"))

    op.drop_table("payments")
    with op.batch_alter_table("allowances", schema=None) as batch_op:
        batch_op.drop_index("ix_allowances_status_applied")
        batch_op.drop_index(batch_op.f("ix_allowances_kind_id"))
        batch_op.drop_index("ix_allowances_facility_status")
        batch_op.drop_index(batch_op.f("ix_allowances_case_id"))

    op.drop_table("allowances")
    with op.batch_alter_table("allowance_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_allowance_rules_kind_id"))

    op.drop_table("allowance_rules")
    op.drop_table("allowance_kinds")
    op.drop_table("holidays")
    op.drop_table("assistance_levels")
