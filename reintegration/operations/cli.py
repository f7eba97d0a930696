"""Commands for running the app for years: ``backup``, ``restore`` and ``db copy``."""

import os

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_migrate.cli import db as migrate_commands
from sqlalchemy.exc import SQLAlchemyError

from .backups import BackupFailed, make_backup
from .schema import CopyFailed, Facts, Refused


@click.command("backup")
@with_appcontext
def backup():
    """Make a verified backup of the database, while the app runs (docs/backups.md)."""
    try:
        # current_app is typed as the app itself, not as the proxy to it.
        made = make_backup(current_app._get_current_object())  # type: ignore[attr-defined]
    except (BackupFailed, OSError, SQLAlchemyError) as error:
        raise click.ClickException(f"No backup was made: {_reason(error)}") from error
    click.echo(f"Backup: {made.path}")
    click.echo(f"  {made.size:,} bytes, schema revision {made.revision}, folder and file private")
    _echo_counts(made.facts)


@click.command("restore")
@click.argument("path", metavar="FILE")
@click.option(
    "--upgrade/--no-upgrade",
    default=True,
    show_default=True,
    help="Upgrade the restored database to this release's schema (else keep the backup's).",
)
@with_appcontext
def restore(path, upgrade):
    """Restore a backup FILE into the configured database, which must be empty."""
    from .restoring import restore as restore_backup

    try:
        # current_app is typed as the app itself, not as the proxy to it.
        restored = restore_backup(path, current_app._get_current_object(), to_head=upgrade)  # type: ignore[attr-defined]
    except Refused as refusal:
        raise click.ClickException(str(refusal)) from refusal
    except CopyFailed as error:
        raise click.ClickException(
            f"{error}. Do not use this database: empty it and restore again."
        ) from error
    click.echo(f"Restored {os.path.basename(path)} (schema revision {restored.backup.revision}).")
    _echo_counts(restored.restored)
    click.echo("  every table's rows and the audit log match the backup")
    if restored.revision != restored.backup.revision:
        click.echo(f"  database upgraded to schema revision {restored.revision}")


@click.command("copy")
@click.option("--to", "target", required=True, metavar="URL", help="postgresql://user@host/name")
@with_appcontext
def copy_database(target):
    """Copy every table of this database into an empty PostgreSQL database."""
    from .moving import copy_database as copy

    try:
        # current_app is typed as the app itself, not as the proxy to it.
        copied = copy(current_app._get_current_object(), target)  # type: ignore[attr-defined]
    except Refused as refusal:
        raise click.ClickException(str(refusal)) from refusal
    except CopyFailed as error:
        raise click.ClickException(f"{error}. Do not use the copy.") from error
    click.echo(f"Copied at schema revision {copied.revision}.")
    _echo_counts(copied)
    click.echo("  every table's rows and the audit log match this database")


def _echo_counts(facts: Facts) -> None:
    click.echo(f"  {facts.rows:,} rows in {len(facts.counts)} tables:")
    for table, count in sorted(facts.counts.items()):
        if count:
            click.echo(f"    {table:<28} {count:>10,}")


def _reason(error: Exception) -> str:
    # A database error's text may quote a value: its class tells enough here.
    if isinstance(error, SQLAlchemyError):
        return f"database error ({type(getattr(error, 'orig', None) or error).__name__})"
    return str(error)


def register(app: Flask) -> None:
    app.cli.add_command(backup)
    app.cli.add_command(restore)
    migrate_commands.add_command(copy_database)
