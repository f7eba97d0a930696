"""``flask --app wsgi audit verify`` and ``audit anchor`` (docs/audit.md)."""

import click
from flask.cli import AppGroup

from ..database import writing
from ..extensions import db
from . import chain, verification

audit = AppGroup("audit", help="The audit log: check its hash chain.")


@audit.command("verify")
def verify():
    """Walk the audit log's hash chain; name the first broken link and exit 1, if any."""
    verdict = verification.check()
    if verdict.broken is not None:
        raise click.ClickException(
            f"The audit log's chain is broken: {verdict.broken.describe()}. "
            f"{verdict.entries:,} entries read. Keep this database and its backups as they are "
            "(docs/audit.md)."
        )
    click.echo(f"{verdict.entries:,} entries verified, chain intact.")
    if verdict.newest is not None:
        newest_id, newest_chain = verdict.newest
        # Noted elsewhere (a log, a ticket), it shows later whether the newest entries went.
        click.echo(f"Newest entry #{newest_id}, chain {newest_chain}.")


@audit.command("anchor")
@click.option(
    "--old-secret-key",
    envvar="OLD_SECRET_KEY",
    prompt="The SECRET_KEY the log was chained with until now",
    hide_input=True,
    help="The SECRET_KEY before the change (asked for when not given; or OLD_SECRET_KEY).",
)
def anchor(old_secret_key):
    """After a change of SECRET_KEY: check the chain with the old key, then continue it with
    the new one."""
    old_key = chain.derive_key(old_secret_key)
    if old_key == chain.current_key():
        raise click.ClickException("That is the current SECRET_KEY: no anchor is needed.")
    with writing():
        verdict = verification.anchor(db.session.connection(), old_key)
        if verdict.broken is not None:
            db.session.rollback()
            raise click.ClickException(
                f"With the old key, the chain is broken: {verdict.broken.describe()}. "
                "No anchor was written."
            )
        # A command, outside any request: its own unit of work, committed here.
        db.session.commit()
    click.echo(
        f"{verdict.entries:,} entries verified with the old key; the chain goes on with the "
        "new one."
    )
