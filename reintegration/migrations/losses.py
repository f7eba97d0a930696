"""A downgrade never destroys data silently.

Every migration's ``downgrade()`` begins with ``refuse_losses(...)``, naming what it is about to
drop. When any of it holds data, the downgrade stops before changing anything and says what
would be lost (table and number of rows, never values), unless the operator forces it::

    flask --app wsgi db downgrade -x force=yes

A migration run is one transaction (env.py), so a refusal at any step leaves the database as
it was, at the revision it started from. Use in a migration::

    from reintegration.migrations.losses import refuse_losses

    def downgrade():
        refuse_losses(
            tables=["reminders", "reminder_marks"],  # tables dropped: their rows
            columns=["stays.discharge_planned_on"],  # columns dropped: their non-null values
            values={"users.wants_digest": "wants_digest"},  # a column never null: rows where
            shipped={"reminder_rules": 12},  # rows upgrade() inserted itself are not counted
            rows={"list_items": ("kind = 'trade'", 9)},  # rows deleted: where, how many shipped
        )
        ...
"""

# Table names, column names and conditions come from the migrations themselves, never from
# what a user typed: they are written into the SQL (noqa: S608).

from alembic import context, op
from alembic.util import CommandError
from sqlalchemy import inspect, text

FORCE = "force"

RESTORE = (
    "To go back to the older release, restore the backup taken before the upgrade into an "
    "empty database (flask --app wsgi restore --no-upgrade FILE) and run the "
    "older release on it (docs/upgrading.md). To downgrade anyway and lose this, add "
    "-x force=yes: flask --app wsgi db downgrade -x force=yes [REVISION]"
)


def forced() -> bool:
    """Whether the operator asked for a downgrade that loses data (``-x force=yes``)."""
    return context.get_x_argument(as_dictionary=True).get(FORCE, "").lower() in ("yes", "true")


def losses(
    tables: list[str] | tuple[str, ...] = (),
    columns: list[str] | tuple[str, ...] = (),
    values: dict[str, str] | None = None,
    shipped: dict[str, int] | None = None,
    rows: dict[str, tuple[str, int]] | None = None,
) -> list[str]:
    """What dropping these would lose, one line each ("reminders: 45 rows"); empty when none.

    ``tables``: tables dropped, whose rows are lost (less the ``shipped`` rows the migration
    inserted itself). ``columns``: "table.column" dropped, whose non-null values are lost.
    ``values``: "table.column" dropped whose column is never null, with the SQL condition of
    the rows whose value means something (not the default). ``rows``: tables whose rows the
    downgrade deletes, with the SQL condition of those rows and how many of them the upgrade
    inserted itself. Tables or columns the database does not have are skipped.
    """
    bind = op.get_bind()
    present = set(inspect(bind).get_table_names())
    shipped = shipped or {}
    counted = {table: ("1 = 1", shipped.get(table, 0)) for table in tables} | dict(rows or {})
    lost = []
    for table, (where, inserted) in counted.items():
        if table not in present:
            continue
        statement = f'SELECT count(*) FROM "{table}" WHERE {where}'  # noqa: S608
        count = _count(bind, statement) - inserted
        if count > 0:
            lost.append(f"{table}: {count} {'row' if count == 1 else 'rows'}")
    conditions = {column: None for column in columns} | dict(values or {})
    for dotted, condition in conditions.items():
        table, column = dotted.split(".")
        if table not in present or column not in _columns(bind, table):
            continue
        where = condition or f'"{column}" IS NOT NULL'
        count = _count(bind, f'SELECT count(*) FROM "{table}" WHERE {where}')  # noqa: S608
        if count:
            lost.append(f"{dotted}: {count} {'value' if count == 1 else 'values'}")
    return lost


def refuse_losses(
    tables: list[str] | tuple[str, ...] = (),
    columns: list[str] | tuple[str, ...] = (),
    values: dict[str, str] | None = None,
    shipped: dict[str, int] | None = None,
    rows: dict[str, tuple[str, int]] | None = None,
) -> None:
    """Stop the downgrade, before it changes anything, when it would lose data and was not
    forced (see ``losses`` for the arguments)."""
    lost = losses(tables, columns, values, shipped, rows)
    if not lost or forced():
        return
    revision = context.get_context().get_current_revision()
    raise CommandError(
        f"Downgrading from revision {revision} would lose data: {'; '.join(lost)}. "
        f"Nothing was changed. {RESTORE}"
    )


def delete_unused(table: str, where: str) -> None:
    """Delete the rows of ``table`` matching ``where`` that no row of another table refers
    to: reference data a downgrade takes back, except what records still use."""
    bind = op.get_bind()
    inspector = inspect(bind)
    unused = []
    for other in inspector.get_table_names():
        for key in inspector.get_foreign_keys(other):
            if key["referred_table"] != table:
                continue
            pairs = " AND ".join(
                f'r."{mine}" = "{table}"."{theirs}"'
                for mine, theirs in zip(
                    key["constrained_columns"], key["referred_columns"], strict=True
                )
            )
            unused.append(f'NOT EXISTS (SELECT 1 FROM "{other}" r WHERE {pairs})')  # noqa: S608
    conditions = "".join(f" AND {condition}" for condition in unused)
    op.execute(f'DELETE FROM "{table}" WHERE ({where}){conditions}')  # noqa: S608


def _count(bind, statement: str) -> int:
    return bind.execute(text(statement)).scalar_one()


def _columns(bind, table: str) -> set[str]:
    return {column["name"] for column in inspect(bind).get_columns(table)}
