"""``flask --app wsgi keys new|check|rotate``: the data keys (see keyring's docstring)."""

import os
import sys

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import inspect, select

from ..extensions import db
from . import rotation
from .check import mismatch, record_current
from .keyring import KeyProblem, key_file, keyring, new_key, write_key_file
from .models import DataKeyRecord

keys = AppGroup("keys", help="Make, check and rotate the data keys of the personal fields.")


def _records() -> list[DataKeyRecord]:
    if not inspect(db.engine).has_table(DataKeyRecord.__tablename__):
        return []
    return list(db.session.scalars(select(DataKeyRecord).order_by(DataKeyRecord.added_at)))


def _require_encrypted_schema() -> None:
    if not inspect(db.engine).has_table(DataKeyRecord.__tablename__):
        sys.exit(
            "This database is not at the schema that encrypts personal fields yet: start the "
            "app, or run flask --app wsgi db upgrade, first."
        )


def _opening_keyring():
    """The keyring, once it is known to open this database (or the command stops, saying
    why)."""
    try:
        ring = keyring()
    except KeyProblem as problem:
        sys.exit(str(problem))
    _require_encrypted_schema()
    mismatched = mismatch(_records())
    if mismatched:
        sys.exit(mismatched)
    return ring


def _configured_keys() -> bool:
    return bool(current_app.config.get("DATA_KEYS"))


@keys.command("new")
@click.option(
    "--print",
    "print_only",
    is_flag=True,
    help="Print the key (for DATA_KEYS) instead of writing the key file.",
)
def new(print_only):
    """Make the data key of a new installation."""
    records = _records()
    taken = tuple(record.id for record in records)
    key = new_key(taken)
    if print_only:
        click.echo(key.line())
        return
    path = key_file(current_app)
    if _configured_keys() or os.path.exists(path):
        where = "DATA_KEYS" if _configured_keys() else path
        sys.exit(
            f"There is a data key already ({where}). To replace it, rotate it: "
            "flask --app wsgi keys rotate"
        )
    if any(record.retired_at is None for record in records):
        sys.exit(
            "This database's personal fields are encrypted with the key "
            f"{', '.join(taken)}: a new key cannot open them. Bring its key file to {path}."
        )
    write_key_file(path, (key,))
    click.echo(
        f"Made the data key {key.id} in {path} (readable by its owner only).\n"
        "Keep a copy of this file apart from the database and its backups (a password "
        "manager, a safe): without it, the names, addresses and notes in the database and in "
        "every backup cannot be read by anyone. Never commit it or send it by email."
    )


@keys.command("check")
def check():
    """Say whether the keys open this database, and how many values each key holds."""
    ring = _opening_keyring()
    stale = rotation.stale_values(ring.current.id)
    click.echo(f"The keys in {ring.source} open this database; {ring.current.id} encrypts.")
    if stale:
        click.echo(
            f"{stale} values are still under an older key: a rotation is unfinished "
            "(flask --app wsgi keys rotate resumes it)."
        )


@keys.command("rotate")
@click.option("--settle", default=None, type=float, help="Seconds between passes (tests).")
def rotate(settle):
    """Encrypt everything again under a new key, in batches, while the app runs."""
    ring = _opening_keyring()
    from_file = not _configured_keys()
    path = key_file(current_app)
    recorded = {record.id for record in _records()}
    if rotation.stale_values(ring.current.id) or ring.current.id not in recorded:
        click.echo(f"Resuming the rotation to {ring.current.id}.")
    elif from_file:
        key = new_key(tuple({*ring.ids, *recorded}))
        write_key_file(path, (key, *ring.keys))
        ring = current_app.extensions["data_keys"].reload()
        click.echo(f"Added the key {key.id} in front of {path}; re-encrypting under it.")
    else:
        sys.exit(
            "The keys come from DATA_KEYS. Make a new key (flask --app wsgi keys new --print), "
            "put it first in DATA_KEYS with the old key after it, restart the app, then run "
            "this command again: it re-encrypts everything under the first key."
        )
    record_current()
    moved = rotation.rotate(report=lambda line: click.echo(line), settle_seconds=settle)
    retired = rotation.retire_others()
    click.echo(f"Done: {moved} values re-encrypted under {ring.current.id}.")
    if len(ring.keys) > 1:
        older = ", ".join(key.id for key in ring.keys[1:])
        click.echo(
            f"The older keys ({older}) stay in {ring.source}, opening only: the backups made "
            "before this rotation need them, and so would a value a colleague's long save "
            f"wrote under them during it (`keys check` counts such values; `keys rotate` "
            "re-encrypts them). Copy the new key file to where you keep the old one. Remove "
            "an older key only once no backup made before its rotation is kept."
        )
    if retired:
        click.echo(f"Retired: {', '.join(retired)} (no longer encrypts anything new).")
