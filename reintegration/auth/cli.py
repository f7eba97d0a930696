"""``flask --app wsgi users create`` and ``users reset-second-factor``."""

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..access import Role
from ..audit.services import acting_as
from ..errors import DomainError
from ..extensions import db
from ..reference.queries import province_by_code
from ..shelter.models import Facility
from . import totp
from .services import create_user as create
from .services import find_user

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
