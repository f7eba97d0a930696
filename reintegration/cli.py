"""Flask commands: each domain keeps its own in its ``cli.py``; here they are registered, with
the demo, which fills an empty database across every domain."""

import click
from flask import Flask

from .audit.cli import audit as audit_commands
from .audit.services import acting_as
from .auth.cli import users as user_commands
from .exports.cli import export as export_commands
from .imports.cli import imports as import_commands
from .keys.cli import keys as key_commands
from .operations.cli import register as register_operations
from .reminders.cli import reminders as reminder_commands
from .reminders.cli import scheduler


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


def register(app: Flask) -> None:
    app.cli.add_command(user_commands)
    app.cli.add_command(demo)
    app.cli.add_command(reminder_commands)
    app.cli.add_command(scheduler)
    app.cli.add_command(import_commands)
    app.cli.add_command(export_commands)
    app.cli.add_command(key_commands)
    app.cli.add_command(audit_commands)
    register_operations(app)
