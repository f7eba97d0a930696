"""``flask --app wsgi reminders run``, ``reminders digest`` and ``scheduler``."""

import signal
import sys
import time

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from ..audit.services import acting_as
from ..database import writing
from ..extensions import db
from ..operations import runs
from . import tasks
from .digest import send_digests
from .rules import RULES
from .services import run_pass

reminders = AppGroup("reminders", help="Reminders: the pass and the daily digest.")


@reminders.command("run")
def run_reminders():
    """Run one reminder pass and print what it opened and closed (for cron)."""
    with runs.recorded(runs.REMINDER_PASS), writing(), acting_as("reminders"):
        result = run_pass()
        # A command, outside any request: its own unit of work, committed here.
        db.session.commit()
    click.echo(
        f"Reminder pass: {sum(result.opened.values())} opened, "
        f"{sum(result.closed.values())} closed."
    )
    for code in RULES:
        if result.opened[code] or result.closed[code]:
            click.echo(f"  {code:<22} +{result.opened[code]:<6} -{result.closed[code]}")


@reminders.command("digest")
def send_digest():
    """Send today's digests that are not sent yet (for cron)."""
    with runs.recorded(runs.DIGEST) as run, acting_as("reminders"):
        result = send_digests()
        if result.failed:
            run.failed("DeliveryFailed")
    click.echo(
        f"Digests: {result.sent} sent, {result.failed} failed, {result.empty} with nothing due."
    )
    if result.failed:
        raise SystemExit(1)


@click.command("scheduler")
@with_appcontext
def scheduler():
    """Run the scheduler: the reminder pass, the morning digest, the nightly backup (SQLite)."""
    # current_app is typed as the app itself, not as the proxy to it.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    runner = tasks.build(app)
    nightly = (
        f", backup every night at {app.config['BACKUP_HOUR']}:00"
        if app.config["NIGHTLY_BACKUP"]
        else ""
    )
    click.echo(
        f"Scheduler running (Asia/Ho_Chi_Minh): reminder pass every "
        f"{app.config['REMINDER_PASS_MINUTES']} minutes, digest at hours "
        f"{app.config['DIGEST_HOURS']}{nightly}. Ctrl+C stops it."
    )
    # A service manager stops it with SIGTERM: finish like Ctrl+C.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    tasks.start(runner, app)
    try:
        while True:
            time.sleep(60)
    except (KeyboardInterrupt, SystemExit):
        runner.shutdown()
        click.echo("Scheduler stopped.")
