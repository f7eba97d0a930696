"""Personal fields encrypted with the data key; the name search reads keyed tokens.

Every field that names, locates or describes a person (the list below) is encrypted in place
with the app's data key (reintegration/keys); the folded copy of the name (``name_search``)
gives way to keyed tokens (``case_search_tokens``); ``data_keys`` records the key's id and
verifier. Audit entries written before a field was encrypted keep only that it changed, and
the log is chained again. On SQLite the file is vacuumed afterwards (env.py), so that no page
of it keeps a value in clear.

The list is this migration's own: later changes to the models do not change what it did.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 14:30:00.000000
"""

import json
import re
import unicodedata
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op
from flask import current_app

from reintegration.audit.chain import derive_key, rechain
from reintegration.keys.fields import decrypt, encrypt
from reintegration.keys.keyring import keyring
from reintegration.keys.tokens import rows_for
from reintegration.migrations.losses import refuse_losses

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# (table, column, its type before: a length for VARCHAR, None for TEXT, "date" for DATE)
FIELDS = (
    ("cases", "full_name", 200),
    ("cases", "date_of_birth", "date"),
    ("cases", "home_address", 300),
    ("cases", "phone", 50),
    ("cases", "family_contacts", None),
    ("cases", "trafficking_notes", None),
    ("case_closures", "note", None),
    ("case_closures", "reopen_reason", None),
    ("stays", "destination_address", 300),
    ("stays", "discharge_note", None),
    ("stay_extensions", "reason", None),
    ("services", "notes", None),
    ("followups", "wellbeing", None),
    ("risk_flags", "resolution_note", None),
    ("plans", "note", None),
    ("plan_goals", "description", None),
    ("placements", "end_note", None),
    ("enrolments", "dropout_reason", None),
    ("allowances", "documents", None),
    ("allowances", "reason", None),
    ("payments", "reason", None),
    ("reminder_marks", "note", None),
)
BATCH = 500

# The guards of 0005 (a payment never changes, a final allowance never changes, neither is
# deleted) are rebuilt so that they let one change through: the same text encrypted again,
# under a new key (``flask keys rotate``). On SQLite a rebuilt table loses its triggers, and
# the guards are made again after it in any case.
OLD_GUARDS = {
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
        "CREATE OR REPLACE FUNCTION payments_append_only() RETURNS trigger LANGUAGE plpgsql "
        "AS $$ BEGIN RAISE EXCEPTION 'a payment never changes: record a correction'; END $$",
        "CREATE TRIGGER payments_no_change BEFORE UPDATE OR DELETE ON payments "
        "FOR EACH ROW EXECUTE FUNCTION payments_append_only()",
        "CREATE OR REPLACE FUNCTION allowances_keep_final() RETURNS trigger LANGUAGE plpgsql "
        "AS $$ BEGIN IF TG_OP = 'DELETE' THEN RAISE EXCEPTION 'an allowance is never deleted'; "
        "END IF; IF OLD.status IN ('paid', 'refused', 'cancelled') THEN "
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
        "DROP TRIGGER IF EXISTS allowances_keep_final ON allowances",
    ],
}
# Columns whose text may be encrypted again (and nothing else changed) in a guarded row.
REENCRYPTED = {"payments": ("reason",), "allowances": ("documents", "reason")}


def _other_columns(table: str) -> str:
    kept = REENCRYPTED[table]
    columns = [c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)]
    return ", ".join(column for column in columns if column not in kept)


def _new_guards() -> list[str]:
    if op.get_bind().dialect.name == "sqlite":
        return [
            f"CREATE TRIGGER payments_no_update BEFORE UPDATE OF {_other_columns('payments')} "
            "ON payments "
            "BEGIN SELECT RAISE(ABORT, 'a payment never changes: record a correction'); END",
            OLD_GUARDS["sqlite"][1],
            "CREATE TRIGGER allowances_final_no_update BEFORE UPDATE OF "
            f"{_other_columns('allowances')} ON allowances "
            "WHEN OLD.status IN ('paid', 'refused', 'cancelled') BEGIN "
            "SELECT RAISE(ABORT, 'a paid, refused or cancelled allowance never changes'); END",
            OLD_GUARDS["sqlite"][3],
        ]
    return [
        "CREATE OR REPLACE FUNCTION payments_append_only() RETURNS trigger LANGUAGE plpgsql "
        "AS $$ BEGIN IF TG_OP = 'DELETE' OR (to_jsonb(NEW) - 'reason') IS DISTINCT FROM "
        "(to_jsonb(OLD) - 'reason') THEN "
        "RAISE EXCEPTION 'a payment never changes: record a correction'; END IF; "
        "RETURN NEW; END $$",
        OLD_GUARDS["postgresql"][1],
        "CREATE OR REPLACE FUNCTION allowances_keep_final() RETURNS trigger LANGUAGE plpgsql "
        "AS $$ BEGIN IF TG_OP = 'DELETE' THEN RAISE EXCEPTION 'an allowance is never deleted'; "
        "END IF; IF OLD.status IN ('paid', 'refused', 'cancelled') AND "
        "(to_jsonb(NEW) - 'documents' - 'reason') IS DISTINCT FROM "
        "(to_jsonb(OLD) - 'documents' - 'reason') THEN "
        "RAISE EXCEPTION 'a paid, refused or cancelled allowance never changes'; END IF; "
        "RETURN NEW; END $$",
        OLD_GUARDS["postgresql"][3],
    ]


def _guards(statements: list[str]) -> None:
    for statement in statements:
        op.execute(statement)


def _tables() -> dict[str, list[tuple[str, object]]]:
    tables: dict[str, list[tuple[str, object]]] = {}
    for table, column, before in FIELDS:
        tables.setdefault(table, []).append((column, before))
    return tables


def _old_type(before):
    if before == "date":
        return sa.Date()
    return sa.String(length=before) if before else sa.Text()


def _retype(table: str, columns, *, encrypted: bool) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table(table) as batch:
        for column, before in columns:
            old, new = _old_type(before), sa.Text()
            if not encrypted:
                old, new = new, old
            using = None
            if not sqlite and before == "date":
                using = f"{column}::text" if encrypted else f"{column}::date"
            batch.alter_column(column, existing_type=old, type_=new, postgresql_using=using)


def _rewrite(table: str, columns: list[str], change) -> None:
    """Every non-empty value of ``columns`` passed through ``change(purpose, value)``, in
    batches by id."""
    connection = op.get_bind()
    listed = ", ".join(columns)
    last = 0
    while True:
        rows = connection.execute(
            sa.text(
                f"SELECT id, {listed} FROM {table} WHERE id > :last ORDER BY id LIMIT {BATCH}"  # noqa: S608
            ),
            {"last": last},
        ).all()
        if not rows:
            return
        updates = []
        for row in rows:
            values = {}
            for column, value in zip(columns, row[1:], strict=True):
                if value is None or value == "":
                    continue
                values[column] = change(f"{table}.{column}", value)
            if values:
                updates.append((row[0], values))
        for row_id, values in updates:
            assignments = ", ".join(f"{column} = :{column}" for column in values)
            connection.execute(
                sa.text(f"UPDATE {table} SET {assignments} WHERE id = :id"),  # noqa: S608
                {**values, "id": row_id},
            )
        last = rows[-1][0]


def _plain(value) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _fold(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"\s+", " ", stripped).strip().lower()


def _index_names() -> None:
    """The tokens of every case's name, phone and birth date, read while still in clear."""
    connection = op.get_bind()
    key = keyring().current
    tokens = sa.table(
        "case_search_tokens", sa.column("token"), sa.column("case_id"), sa.column("key_id")
    )
    last = 0
    while True:
        rows = connection.execute(
            sa.text(
                "SELECT id, full_name, phone, date_of_birth FROM cases WHERE id > :last "
                "ORDER BY id LIMIT :batch"
            ),
            {"last": last, "batch": BATCH},
        ).all()
        if not rows:
            return
        batch = []
        for case_id, full_name, phone, born in rows:
            if isinstance(born, str):  # SQLite gives the text it stores
                born = date.fromisoformat(born)
            batch.extend(rows_for(case_id, full_name or "", phone or "", born, key))
        if batch:
            op.bulk_insert(tokens, batch)
        last = rows[-1][0]


# The audit log's append-only triggers, as 0002 made them (and 0014 made them again).
AUDIT_TRIGGERS = {
    "sqlite": {
        "drop": [
            "DROP TRIGGER IF EXISTS audit_entries_no_update",
            "DROP TRIGGER IF EXISTS audit_entries_no_delete",
        ],
        "create": [
            "CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries "
            "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
            "CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries "
            "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
        ],
    },
    "postgresql": {
        "drop": ["DROP TRIGGER IF EXISTS audit_entries_no_change ON audit_entries"],
        "create": [
            "CREATE TRIGGER audit_entries_no_change BEFORE UPDATE OR DELETE ON audit_entries "
            "FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()"
        ],
    },
}


def _hidden(table: str, changes: dict) -> dict | None:
    """``changes`` with the values of the table's encrypted fields replaced by "changed";
    None when it held none."""
    columns = {column for column, _before in _tables().get(table, [])}
    hidden = {
        name: "changed" if name in columns and value != "changed" else value
        for name, value in changes.items()
    }
    return hidden if hidden != changes else None


def _hide_logged_values() -> None:
    """Entries written before a field was encrypted may hold its value (a closure note, an
    extension's reason, a goal...): the log keeps only that it changed, as it does from now
    on, and is chained again (0014). The append-only triggers are dropped around it, inside
    this migration's one transaction. The values are gone from the log for good: that is the
    point, the fields themselves keep them, encrypted."""
    connection = op.get_bind()
    dialect = connection.dialect.name
    entities = sorted(_tables())
    select_entries = sa.text(
        "SELECT id, entity, changes FROM audit_entries WHERE id > :last "
        "AND entity IN :entities AND changes IS NOT NULL ORDER BY id LIMIT :batch"
    ).bindparams(sa.bindparam("entities", expanding=True), sa.bindparam("batch", BATCH))
    update = sa.text("UPDATE audit_entries SET changes = :changes WHERE id = :id").bindparams(
        sa.bindparam("changes", type_=sa.JSON())
    )
    for statement in AUDIT_TRIGGERS[dialect]["drop"]:
        op.execute(statement)
    changed, last = 0, 0
    while True:
        rows = connection.execute(select_entries, {"last": last, "entities": entities}).all()
        if not rows:
            break
        for entry_id, entity, changes in rows:
            if isinstance(changes, str):
                changes = json.loads(changes)
            hidden = _hidden(entity, changes) if isinstance(changes, dict) else None
            if hidden is not None:
                connection.execute(update, {"changes": hidden, "id": entry_id})
                changed += 1
        last = rows[-1][0]
    if changed:
        rechain(connection, derive_key(str(current_app.config["SECRET_KEY"])))
    for statement in AUDIT_TRIGGERS[dialect]["create"]:
        op.execute(statement)


def upgrade():
    op.create_table(
        "data_keys",
        sa.Column("id", sa.String(length=12), nullable=False),
        sa.Column("verifier", sa.String(length=64), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_keys")),
    )
    op.create_table(
        "case_search_tokens",
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=12), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_search_tokens_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token", "case_id", name=op.f("pk_case_search_tokens")),
    )
    op.create_index("ix_case_search_tokens_case", "case_search_tokens", ["case_id"])
    _index_names()

    key = keyring().current
    op.bulk_insert(
        sa.table("data_keys", sa.column("id"), sa.column("verifier"), sa.column("added_at")),
        [{"id": key.id, "verifier": key.verifier, "added_at": datetime.now(UTC)}],
    )
    dialect = op.get_bind().dialect.name
    _guards(DROP_GUARDS[dialect])
    for table, columns in _tables().items():
        _retype(table, columns, encrypted=True)
        _rewrite(
            table,
            [column for column, _before in columns],
            lambda purpose, value: encrypt(purpose, _plain(value)),
        )
    _guards(_new_guards())
    _hide_logged_values()
    with op.batch_alter_table("cases") as batch:
        batch.drop_index("ix_cases_name_search")
        batch.drop_column("name_search")
    # env.py vacuums SQLite once the run is committed: the pages that held clear values go.
    op.get_bind().info["vacuum_after_migrating"] = True


def downgrade():
    # Nothing is lost: every value is decrypted back into its column, the folded name is made
    # again from the name, and the tokens and key records are derived from the key.
    refuse_losses()
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("name_search", sa.String(length=200), nullable=True))
    dialect = op.get_bind().dialect.name
    _guards(DROP_GUARDS[dialect])
    for table, columns in _tables().items():
        _rewrite(table, [column for column, _before in columns], decrypt)
        _retype(table, columns, encrypted=False)
    _guards(OLD_GUARDS[dialect])
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(
            sa.text("SELECT id, full_name FROM cases WHERE id > :last ORDER BY id LIMIT :batch"),
            {"last": last, "batch": BATCH},
        ).all()
        if not rows:
            break
        for case_id, full_name in rows:
            connection.execute(
                sa.text("UPDATE cases SET name_search = :folded WHERE id = :id"),
                {"folded": _fold(full_name or ""), "id": case_id},
            )
        last = rows[-1][0]
    with op.batch_alter_table("cases") as batch:
        batch.alter_column("name_search", existing_type=sa.String(length=200), nullable=False)
        batch.create_index("ix_cases_name_search", ["name_search"], unique=False)
    op.drop_index("ix_case_search_tokens_case", table_name="case_search_tokens")
    op.drop_table("case_search_tokens")
    op.drop_table("data_keys")
    op.get_bind().info["vacuum_after_migrating"] = True
