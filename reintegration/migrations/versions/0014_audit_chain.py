"""The audit log's hash chain: every entry carries a keyed hash of itself and of the entry
before it (reintegration/audit/chain.py); the entries already written are chained here, in id
order, with the key derived from this installation's SECRET_KEY.

The append-only triggers refuse the UPDATE that fills the new column: they are dropped and
made again around it, inside the migration's one transaction. On PostgreSQL, roles other than
the table's owner may no longer update, delete or truncate entries.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 14:30:00.000000
"""

import sqlalchemy as sa
from alembic import op
from flask import current_app

from reintegration.audit.chain import derive_key, rechain
from reintegration.migrations.losses import refuse_losses

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# As made by 0002_reference_data.
TRIGGERS = {
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


def _triggers(action: str) -> None:
    for statement in TRIGGERS.get(op.get_bind().dialect.name, {}).get(action, []):
        op.execute(statement)


# On PostgreSQL, every role but the table's owner loses the right to change or empty the log
# (the app's role when it is not the owner: docs/audit.md). Role names come from the catalog.
REVOKE_FROM_OTHERS = """
DO $$
DECLARE grantee_name text;
BEGIN
    FOR grantee_name IN
        SELECT DISTINCT CASE WHEN acl.grantee = 0 THEN 'PUBLIC'
                             ELSE quote_ident(pg_get_userbyid(acl.grantee)) END
        FROM pg_class c, aclexplode(c.relacl) acl
        WHERE c.oid = 'audit_entries'::regclass AND acl.grantee <> c.relowner
          AND acl.privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE')
    LOOP
        EXECUTE 'REVOKE UPDATE, DELETE, TRUNCATE ON audit_entries FROM ' || grantee_name;
    END LOOP;
END $$
"""


def upgrade():
    op.add_column("audit_entries", sa.Column("chain", sa.String(length=64), nullable=True))
    _triggers("drop")
    rechain(op.get_bind(), derive_key(str(current_app.config["SECRET_KEY"])))
    _triggers("create")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(REVOKE_FROM_OTHERS)


def downgrade():
    # Nothing is lost: the chain is made from the entries and the key, and an upgrade makes it
    # again. (Whoever can run migrations holds the key, and so could write any chain anyway.)
    refuse_losses()
    _triggers("drop")
    op.drop_column("audit_entries", "chain")
    _triggers("create")
