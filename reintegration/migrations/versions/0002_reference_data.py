"""Reference data shipped with the app, and the audit log made append-only.

Every list here is data that an administrator may change afterwards; this migration only
writes the starting values. Support types and entitlements follow Law 53/2024/QH15,
Article 37, as described in MISSION.md.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from reintegration.migrations.losses import delete_unused, refuse_losses

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# The 34 province-level units since 1 July 2025: code, Vietnamese name, English name.
PROVINCES = [
    ("HN", "Hà Nội", "Ha Noi"),
    ("HUE", "Huế", "Hue"),
    ("LCU", "Lai Châu", "Lai Chau"),
    ("DB", "Điện Biên", "Dien Bien"),
    ("SL", "Sơn La", "Son La"),
    ("LS", "Lạng Sơn", "Lang Son"),
    ("QN", "Quảng Ninh", "Quang Ninh"),
    ("TH", "Thanh Hóa", "Thanh Hoa"),
    ("NA", "Nghệ An", "Nghe An"),
    ("HT", "Hà Tĩnh", "Ha Tinh"),
    ("CB", "Cao Bằng", "Cao Bang"),
    ("TQ", "Tuyên Quang", "Tuyen Quang"),
    ("LCI", "Lào Cai", "Lao Cai"),
    ("TN", "Thái Nguyên", "Thai Nguyen"),
    ("PT", "Phú Thọ", "Phu Tho"),
    ("BN", "Bắc Ninh", "Bac Ninh"),
    ("HY", "Hưng Yên", "Hung Yen"),
    ("HP", "Hải Phòng", "Hai Phong"),
    ("NB", "Ninh Bình", "Ninh Binh"),
    ("QT", "Quảng Trị", "Quang Tri"),
    ("DN", "Đà Nẵng", "Da Nang"),
    ("QNG", "Quảng Ngãi", "Quang Ngai"),
    ("GL", "Gia Lai", "Gia Lai"),
    ("KH", "Khánh Hòa", "Khanh Hoa"),
    ("LD", "Lâm Đồng", "Lam Dong"),
    ("DL", "Đắk Lắk", "Dak Lak"),
    ("HCM", "Thành phố Hồ Chí Minh", "Ho Chi Minh City"),
    ("DNA", "Đồng Nai", "Dong Nai"),
    ("TNI", "Tây Ninh", "Tay Ninh"),
    ("CT", "Cần Thơ", "Can Tho"),
    ("VL", "Vĩnh Long", "Vinh Long"),
    ("DT", "Đồng Tháp", "Dong Thap"),
    ("CM", "Cà Mau", "Ca Mau"),
    ("AG", "An Giang", "An Giang"),
]

LISTS = {
    "country": [
        ("VN", "Việt Nam", "Vietnam"),
        ("CN", "Trung Quốc", "China"),
        ("KH", "Campuchia", "Cambodia"),
        ("LA", "Lào", "Laos"),
        ("MM", "Myanmar", "Myanmar"),
        ("TH", "Thái Lan", "Thailand"),
        ("MY", "Malaysia", "Malaysia"),
        ("KR", "Hàn Quốc", "South Korea"),
        ("JP", "Nhật Bản", "Japan"),
        ("TW", "Đài Loan (Trung Quốc)", "Taiwan (China)"),
        ("AE", "Các Tiểu vương quốc Ả Rập Thống nhất", "United Arab Emirates"),
        ("GB", "Vương quốc Anh", "United Kingdom"),
        ("OTHER", "Nước khác", "Other country"),
    ],
    "exploitation": [
        ("SEXUAL", "Bóc lột tình dục", "Sexual exploitation"),
        ("LABOUR", "Cưỡng bức lao động", "Forced labour"),
        ("MARRIAGE", "Cưỡng ép kết hôn", "Forced marriage"),
        (
            "CRIMINALITY",
            "Cưỡng ép phạm tội (lừa đảo trực tuyến)",
            "Forced criminality (online scams)",
        ),
        ("SURROGACY", "Mang thai hộ vì mục đích thương mại", "Commercial surrogacy"),
        ("ORGANS", "Lấy bộ phận cơ thể", "Organ removal"),
        ("CHILD_SALE", "Mua bán trẻ em để nhận làm con nuôi", "Sale of a child for adoption"),
        ("OTHER", "Hình thức khác", "Other form"),
    ],
    "return_route": [
        ("HANDOVER", "Tiếp nhận qua trao trả song phương", "Bilateral handover"),
        ("RESCUED", "Được giải cứu", "Rescued"),
        ("SELF", "Tự trở về", "Self-return"),
    ],
    "recruitment": [
        ("SOCIAL_NETWORK", "Qua mạng xã hội", "Social network"),
        ("ACQUAINTANCE", "Người quen, bạn bè", "Acquaintance or friend"),
        ("RELATIVE", "Người thân trong gia đình", "Relative"),
        ("JOB_OFFER", "Lời mời việc làm", "Job offer"),
        ("MARRIAGE_OFFER", "Lời hứa hôn nhân", "Marriage offer"),
        ("BROKER", "Môi giới", "Broker"),
        ("ABDUCTION", "Bị bắt cóc", "Abduction"),
        ("OTHER", "Cách khác", "Other"),
    ],
    "control": [
        ("DEBT", "Gán nợ", "Debt bondage"),
        ("DOCUMENTS", "Giữ giấy tờ tùy thân", "Documents withheld"),
        ("THREATS", "Đe dọa", "Threats"),
        ("PHYSICAL", "Bạo lực thể chất", "Physical violence"),
        ("SEXUAL", "Bạo lực tình dục", "Sexual violence"),
        ("CONFINEMENT", "Giam giữ, hạn chế đi lại", "Confinement"),
        ("WAGES", "Giữ lương", "Wages withheld"),
        ("DRUGS", "Ép dùng chất kích thích", "Forced use of drugs"),
        ("ISOLATION", "Cô lập, cắt liên lạc", "Isolation"),
        ("OTHER", "Cách khác", "Other"),
    ],
    "destination": [
        ("HOME", "Về gia đình", "Home with family"),
        ("INDEPENDENT", "Sống độc lập", "Independent living"),
        ("FACILITY", "Chuyển cơ sở khác", "Another facility"),
        ("OTHER", "Nơi khác", "Other"),
    ],
}

# The 54 ethnic groups of Vietnam, then foreigners.
ETHNIC_GROUPS = [
    "Kinh",
    "Tày",
    "Thái",
    "Mường",
    "Khmer",
    "Hoa",
    "Nùng",
    "Mông",
    "Dao",
    "Gia Rai",
    "Ê Đê",
    "Ba Na",
    "Sán Chay",
    "Chăm",
    "Cơ Ho",
    "Xơ Đăng",
    "Sán Dìu",
    "Hrê",
    "Ra Glai",
    "Mnông",
    "Thổ",
    "Xtiêng",
    "Khơ Mú",
    "Bru - Vân Kiều",
    "Cơ Tu",
    "Giáy",
    "Tà Ôi",
    "Mạ",
    "Giẻ Triêng",
    "Co",
    "Chơ Ro",
    "Xinh Mun",
    "Hà Nhì",
    "Chu Ru",
    "Lào",
    "Kháng",
    "La Chí",
    "Phù Lá",
    "La Hủ",
    "La Ha",
    "Pà Thẻn",
    "Chứt",
    "Lự",
    "Lô Lô",
    "Mảng",
    "Cờ Lao",
    "Bố Y",
    "Cống",
    "Ngái",
    "Si La",
    "Pu Péo",
    "Brâu",
    "Ơ Đu",
    "Rơ Măm",
]

# Law 53/2024/QH15, Article 37: letter, Vietnamese name, English name.
SUPPORT_TYPES = [
    (
        "a",
        "Hỗ trợ nhu cầu thiết yếu (chỗ ở, ăn, đồ dùng cá nhân)",
        "Essential needs (accommodation, food, personal items)",
    ),
    ("b", "Hỗ trợ y tế", "Medical support"),
    ("c", "Hỗ trợ phiên dịch", "Interpretation"),
    ("d", "Hỗ trợ pháp lý", "Legal support"),
    ("đ", "Trợ giúp pháp lý", "Legal aid"),
    ("e", "Hỗ trợ chi phí đi lại", "Travel costs"),
    ("g", "Hỗ trợ tâm lý", "Psychological support"),
    ("h", "Hỗ trợ giáo dục phổ thông", "General education"),
    (
        "i",
        "Hỗ trợ học nghề, tư vấn hướng nghiệp, tìm việc làm",
        "Vocational training, career counselling and job finding",
    ),
    (
        "k",
        "Trợ cấp khó khăn ban đầu, hỗ trợ vay vốn",
        "Initial-hardship allowance and loan support",
    ),
]

ENTITLEMENTS = {
    "identified": "a b c d đ e g h i k",
    "accompanying_child": "a b c d đ e g h",
    "under_identification_abroad": "a b c d",
    "under_identification_vietnam": "a b c d đ e g",
    "foreign_victim": "a b c d đ g",
}

# Services staff record, each under one support type.
SERVICE_KINDS = [
    ("accommodation", "a", "Chỗ ở", "Accommodation"),
    ("meals", "a", "Tiền ăn", "Meals"),
    ("personal_items", "a", "Quần áo, đồ dùng cá nhân", "Clothing and personal items"),
    ("health_check", "b", "Khám sức khỏe", "Health check"),
    ("medical_treatment", "b", "Khám, chữa bệnh", "Medical treatment"),
    ("health_insurance", "b", "Thẻ bảo hiểm y tế", "Health insurance card"),
    ("interpretation", "c", "Phiên dịch", "Interpretation"),
    ("legal_advice", "d", "Tư vấn pháp lý, giấy tờ tùy thân", "Legal advice and identity papers"),
    ("legal_aid", "đ", "Trợ giúp pháp lý", "Legal aid"),
    ("travel", "e", "Chi phí đi lại", "Travel costs"),
    ("needs_assessment", "g", "Đánh giá nhu cầu", "Needs assessment"),
    ("counselling", "g", "Tư vấn, trị liệu tâm lý", "Psychological counselling"),
    ("schooling", "h", "Hỗ trợ học phổ thông", "Schooling support"),
    ("vocational_training", "i", "Học nghề", "Vocational training"),
    ("career_counselling", "i", "Tư vấn hướng nghiệp", "Career counselling"),
    ("job_finding", "i", "Giới thiệu việc làm", "Job finding"),
    ("hardship_allowance", "k", "Trợ cấp khó khăn ban đầu", "Initial-hardship allowance"),
    ("loan_support", "k", "Hỗ trợ vay vốn", "Loan support"),
]

AUDIT_GUARDS = {
    "sqlite": [
        "CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
        "CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    ],
    "postgresql": [
        "CREATE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$",
        "CREATE TRIGGER audit_entries_no_change BEFORE UPDATE OR DELETE ON audit_entries "
        "FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()",
    ],
}


def _table(name, *columns):
    return sa.table(name, *[sa.column(column) for column in columns])


def upgrade():
    op.bulk_insert(
        _table("provinces", "code", "name_vi", "name_en", "sort_order", "active"),
        [
            {"code": code, "name_vi": vi, "name_en": en, "sort_order": i, "active": True}
            for i, (code, vi, en) in enumerate(PROVINCES)
        ],
    )
    items = _table("list_items", "kind", "code", "name_vi", "name_en", "sort_order", "active")
    rows = [
        {"kind": kind, "code": code, "name_vi": vi, "name_en": en, "sort_order": i, "active": True}
        for kind, entries in LISTS.items()
        for i, (code, vi, en) in enumerate(entries)
    ]
    rows += [
        {
            "kind": "ethnicity",
            "code": f"E{i + 1:02d}",
            "name_vi": name,
            "name_en": name,
            "sort_order": i,
            "active": True,
        }
        for i, name in enumerate(ETHNIC_GROUPS)
    ]
    rows.append(
        {
            "kind": "ethnicity",
            "code": "FOREIGN",
            "name_vi": "Người nước ngoài",
            "name_en": "Foreign national",
            "sort_order": 99,
            "active": True,
        }
    )
    op.bulk_insert(items, rows)

    op.bulk_insert(
        _table("support_types", "id", "letter", "name_vi", "name_en", "sort_order"),
        [
            {"id": i + 1, "letter": letter, "name_vi": vi, "name_en": en, "sort_order": i}
            for i, (letter, vi, en) in enumerate(SUPPORT_TYPES)
        ],
    )
    type_id = {letter: i + 1 for i, (letter, _vi, _en) in enumerate(SUPPORT_TYPES)}
    op.bulk_insert(
        _table("entitlements", "status", "support_type_id"),
        [
            {"status": status, "support_type_id": type_id[letter]}
            for status, letters in ENTITLEMENTS.items()
            for letter in letters.split()
        ],
    )
    op.bulk_insert(
        _table(
            "service_kinds", "code", "support_type_id", "name_vi", "name_en", "sort_order", "active"
        ),
        [
            {
                "code": code,
                "support_type_id": type_id[letter],
                "name_vi": vi,
                "name_en": en,
                "sort_order": i,
                "active": True,
            }
            for i, (code, letter, vi, en) in enumerate(SERVICE_KINDS)
        ],
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SELECT setval('support_types_id_seq', (SELECT max(id) FROM support_types))")
    for statement in AUDIT_GUARDS.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def _shipped() -> dict[str, int]:
    """Rows upgrade() inserts, per table, in the order the downgrade deletes them."""
    return {
        "service_kinds": len(SERVICE_KINDS),
        "entitlements": sum(len(letters.split()) for letters in ENTITLEMENTS.values()),
        "support_types": len(SUPPORT_TYPES),
        "list_items": sum(len(entries) for entries in LISTS.values()) + len(ETHNIC_GROUPS) + 1,
        "provinces": len(PROVINCES),
    }


def downgrade():
    # Rows added after the shipped ones are lost; rows that records still use stay (they go
    # with their tables in 0001's downgrade, which counts them).
    refuse_losses(rows={table: ("1 = 1", count) for table, count in _shipped().items()})
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_delete")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_change ON audit_entries")
        op.execute("DROP FUNCTION IF EXISTS audit_entries_append_only()")
    for table in _shipped():
        delete_unused(table, "1 = 1")
