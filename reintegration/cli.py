"""Flask commands, grouped by domain: ``flask --app wsgi users create``, ``... demo``."""

import signal
import sys
import time

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from .access import Role
from .audit.cli import audit as audit_commands
from .audit.services import acting_as
from .errors import DomainError
from .exports.cli import export as export_commands
from .extensions import db
from .imports.cli import imports as import_commands
from .keys.cli import keys as key_commands
from .operations import runs
from .operations.cli import register as register_operations

users = AppGroup("users", help="Manage user accounts.")


@users.command("create")
@click.argument("username")
@click.option(
    "--role", required=True, type=click.Choice([role.value for role in Role]), help="The role."
)
@click.option("--facility", "facility_code", help="Code of the user's facility.")
@click.option("--province", "province_code", help="Code of the user's province, e.g. NA.")
@click.option("--name", "full_name", default="", help="Full name shown in the app.")
@click.password_option(help="Asked for when not given.")
def create_user(username, role, facility_code, province_code, full_name, password):
    """Create a user; the password is asked for twice."""
    with acting_as("cli"):
        user = _create_user(username, role, facility_code, province_code, full_name, password)
    click.echo(f"Created {user.username} ({user.role.value}).")


@users.command("reset-second-factor")
@click.argument("username")
@click.option("--reason", required=True, help="Why, for the audit log (a lost phone...).")
def reset_second_factor(username, reason):
    """Turn a user's two-factor login off (a lost phone and lost recovery codes, or a changed
    SECRET_KEY); the user sets it up again at the next login."""
    from .auth import totp
    from .auth.services import find_user

    user = find_user(username)
    if user is None:
        raise click.ClickException(f"No user {username}.")
    if not reason.strip():
        raise click.BadParameter("say why", param_hint="--reason")
    try:
        with acting_as("cli"):
            totp.reset(user, reason)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from error
    # A command, outside any request: its own unit of work, committed here.
    db.session.commit()
    click.echo(f"Two-factor login of {user.username} is reset: set up again at the next login.")


def _create_user(username, role, facility_code, province_code, full_name, password):
    from .auth.services import create_user as create
    from .reference.queries import province_by_code
    from .shelter.models import Facility

    facility = province = None
    if facility_code:
        facility = db.session.scalar(select(Facility).where(Facility.code == facility_code.upper()))
        if facility is None:
            raise click.BadParameter(
                f"no facility with code {facility_code}", param_hint="--facility"
            )
    if province_code:
        province = province_by_code(province_code)
        if province is None:
            raise click.BadParameter(
                f"no province with code {province_code}", param_hint="--province"
            )
    try:
        user = create(
            username,
            password,
            Role(role),
            facility=facility,
            province=province,
            full_name=full_name,
        )
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from error
    # A command, outside any request: its own unit of work, committed here.
    db.session.commit()
    return user


@click.command("demo")
def demo():
    """Fill an empty database with demo provinces, facilities, users and about 60 cases."""
    from .auth.totp import grouped, otpauth_uri
    from .demo import DemoRefused, load_demo

    secrets: dict[str, str] = {}
    try:
        with acting_as("demo"):
            accounts = load_demo(secrets)
    except DemoRefused as refusal:
        raise click.ClickException(str(refusal)) from refusal
    click.echo("Demo data loaded. Accounts (username / password / role / two-factor key):")
    for username, password, role in accounts:
        key = grouped(secrets[username]) if username in secrets else ""
        click.echo(f"  {username:<12} {password:<22} {role:<20} {key}".rstrip())
    if secrets:
        click.echo(
            "Accounts with a two-factor key ask for a 6-digit code after the password. Add the "
            "key to an authenticator app (or turn an address below into a QR code), or print "
            "the current code with: .venv/bin/python -c "
            "\"import pyotp; print(pyotp.TOTP('KEY').now())\" (the KEY without spaces)."
        )
        for username in secrets:
            click.echo(f"  {username:<12} {otpauth_uri(secrets[username], username)}")


reminders = AppGroup("reminders", help="Reminders: the pass and the daily digest.")


@reminders.command("run")
def run_reminders():
    """Run one reminder pass and print what it opened and closed (for cron)."""
    from .database import writing
    from .reminders.rules import RULES
    from .reminders.services import run_pass

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
    from .reminders.digest import send_digests

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
    from flask import current_app

    from .reminders import tasks

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


def register(app: Flask) -> None:
    app.cli.add_command(users)
    app.cli.add_command(demo)
    app.cli.add_command(reminders)
    app.cli.add_command(scheduler)
    app.cli.add_command(import_commands)
    app.cli.add_command(export_commands)
    app.cli.add_command(key_commands)
    app.cli.add_command(audit_commands)
    register_operations(app)
