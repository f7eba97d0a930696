"""The reintegration and livelihood support tracker."""

import os
import sys

from flask import (
    Flask,
    current_app,
    flash,
    g,
    has_request_context,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_login import current_user, logout_user

# Every model, before any module of the package builds a query or a loader option: a
# relationship names its target by class name, found only once that class is imported, so
# importing one domain's module first (a worker's script, a test) must not leave one unknown.
from . import (
    config,
    models,  # noqa: F401  (every table, for the mappers and migrations)
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(overrides: dict | None = None) -> Flask:
    from .unit_of_work import App  # each request commits once, after its view

    app = App(
        __name__,
        instance_path=os.environ.get("REINTEGRATION_INSTANCE", os.path.join(ROOT, "instance")),
        instance_relative_config=True,
        template_folder=os.path.join(ROOT, "templates"),
        static_folder=os.path.join(ROOT, "static"),
    )
    config.load(app, overrides)
    # How to make another app like this one, on another database (operations/schema.py): the
    # operations below the app reach its factory through the app, never by importing it.
    app.extensions["create_app"] = create_app
    from .web import Request

    app.request_class = Request
    trust_proxies(app)
    register_logging(app)
    register_extensions(app)
    register_converters(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_request_hooks(app)
    register_commands(app)
    check_keys_and_schema(app)
    return app


def check_keys_and_schema(app: Flask) -> None:
    """The data keys checked, and the schema migrated, before the app serves (not for the
    commands that set the keys up or keep the schema as it is)."""
    keys_command = command_word(sys.argv) == "keys"
    if not keys_command:
        # Without its keys the app cannot read or write a personal field, nor migrate.
        from .keys.keyring import KeyProblem, problem_with_keys

        if problem := problem_with_keys(app):
            raise KeyProblem(problem)
    if app.config["AUTO_MIGRATE"] and not command_keeps_the_schema(sys.argv):
        # One process at a time, after a backup (operations/startup.py).
        from .operations.startup import migrate_on_start

        migrate_on_start(app)
    if not keys_command:
        from .keys.check import check_keys

        check_keys(app)


# Commands that take the database at the schema it has: a backup copies it as it is (the one
# taken before an upgrade, with the new release installed), a restore needs it as it is, and
# ``db`` commands (upgrade, downgrade, current) move or read the schema themselves.
KEEPING_THE_SCHEMA = frozenset({"backup", "restore", "db", "keys"})
# The flask command's own options that take a value, before the command's name.
_FLASK_OPTIONS_WITH_VALUE = frozenset({"--app", "-A", "--env-file", "-e"})


def command_keeps_the_schema(argv: list[str]) -> bool:
    """Whether this process is ``flask ... backup|restore|db|keys ...``: the app does not
    migrate when it starts for them."""
    return command_word(argv) in KEEPING_THE_SCHEMA


def command_word(argv: list[str]) -> str | None:
    """The command of a ``flask`` process (``flask --app wsgi keys new``: "keys")."""
    if not argv:
        return None
    program = argv[0]
    if os.path.basename(program) != "flask" and not program.endswith(
        os.path.join("flask", "__main__.py")
    ):
        return None
    words = iter(argv[1:])
    for word in words:
        if word in _FLASK_OPTIONS_WITH_VALUE:
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def trust_proxies(app: Flask) -> None:
    """Behind PROXY_COUNT reverse proxies, a visitor's address is the one they forward: guesses
    at passwords are counted per visitor (auth/throttle.py), and the audit log shows who it was."""
    count = app.config["PROXY_COUNT"]
    if count:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Flask's documented way to wrap its WSGI app; its types call wsgi_app a method.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count)  # type: ignore[method-assign]


def register_logging(app: Flask) -> None:
    from .operations import logs

    logs.init_app(app)


def register_extensions(app: Flask) -> None:
    from . import database
    from .auth.services import load_session_user
    from .extensions import babel, csrf, db, login, migrate
    from .keys import keyring as data_keys

    db.init_app(app)
    database.init_app(app)
    data_keys.init_app(app)
    migrate.init_app(app, db, directory=database.MIGRATIONS, render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=os.path.join(os.path.dirname(__file__), "translations"),
    )
    login.init_app(app)
    login.login_view = "auth.login"
    login.login_message = None
    login.session_protection = "basic"
    login.user_loader(load_session_user)


def select_locale() -> str:
    if not has_request_context():
        return "en"  # flask commands speak English, like their options and prompts
    if current_user and current_user.is_authenticated:
        return current_user.language
    language = session.get("language")
    return language if language in ("vi", "en") else "vi"


def register_converters(app: Flask) -> None:
    """``<int:...>`` answers 404 for a number no database id can be (before any rule uses it)."""
    from .forms import IdConverter

    app.url_map.converters["int"] = IdConverter


def register_blueprints(app: Flask) -> None:
    label_audited_columns(app)
    for blueprint in (*_account_blueprints(), *_journey_blueprints(), *_report_blueprints()):
        app.register_blueprint(blueprint)


def label_audited_columns(app: Flask) -> None:
    """The audit log names the columns it shows with the labels of the forms that edit them."""
    from .audit.views import label_columns_with
    from .auth.forms import NewUserForm
    from .cases.forms import CaseForm
    from .reference.forms import ListItemEditForm, ListItemForm
    from .shelter.forms import AdmitForm, DischargeForm, ExtendForm, FacilityForm, ServiceForm

    label_columns_with(
        app,
        CaseForm,
        AdmitForm,
        ExtendForm,
        DischargeForm,
        ServiceForm,
        FacilityForm,
        NewUserForm,
        ListItemForm,
        ListItemEditForm,
    )


def _account_blueprints() -> tuple:
    """The home page, logging in and the users' accounts."""
    from .auth.admin import bp as users
    from .auth.session_views import bp as sessions
    from .auth.totp_views import bp as second_factor
    from .auth.views import bp as auth
    from .main.views import bp as main

    return main, auth, second_factor, users, sessions


def _journey_blueprints() -> tuple:
    """The person's journey, and the lists, policy and audit log it is recorded with."""
    from .allowances.views import bp as allowances
    from .audit.views import bp as audit
    from .casefile.views import bp as cases
    from .employment.views import bp as employment
    from .followups.views import bp as followups
    from .plans.views import bp as plans
    from .reference.views import bp as reference
    from .shelter.views import bp as shelter
    from .support.views import bp as policy
    from .training.views import bp as training

    return (
        cases,
        shelter,
        reference,
        policy,
        audit,
        plans,
        followups,
        training,
        employment,
        allowances,
    )


def _report_blueprints() -> tuple:
    """Reminders, imports, exports and the running of the app."""
    from .exports.views import bp as exports
    from .imports.views import bp as imports
    from .operations.health import bp as health
    from .operations.views import bp as operations
    from .reminders.views import bp as reminders

    return reminders, imports, exports, health, operations


def register_errorhandlers(app: Flask) -> None:
    from .errors import register_errorhandlers as register
    from .versions import register_errorhandler as register_conflicts

    register(app)
    register_conflicts(app)


# Only the app's own files; forms post only to the app (an injected form cannot post a page's
# data elsewhere); no <base> to redirect relative links; no framing.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def register_request_hooks(app: Flask) -> None:
    from .access import Permission, can
    from .audit.services import write_views
    from .auth import sessions
    from .formatting import register_filters
    from .submissions import answer_resubmission
    from .web import page_url

    register_filters(app)
    app.jinja_env.globals.update(
        can=can, Permission=Permission, page_url=page_url, get_locale=get_locale
    )
    app.before_request(check_session)
    app.before_request(answer_resubmission)  # after the session check: a form sent twice

    app.after_request(write_views)
    app.after_request(sessions.note_activity)
    app.after_request(security_headers)

    if app.config["SCHEDULER_IN_WEB"]:
        from .reminders.tasks import start_in_web_process

        @app.before_request
        def scheduler_in_web():
            start_in_web_process(app)

    @app.context_processor
    def shared():
        return {"languages": app.config["LANGUAGES"], "page_title": g.get("page_title")}


def check_session():
    """Log out when the cookie's session is no longer open on the server: ended (a logout,
    a password or role change, an administrator), SESSION_MINUTES without a request, or
    SESSION_MAX_HOURS after the login however active (auth/sessions.py)."""
    from .auth import sessions

    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    message = sessions.refusal(current_user.id)
    if message is None:
        session.permanent = True
        return None
    language = current_user.language
    logout_user()
    session.clear()
    session["language"] = language
    flash(message, "info")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def security_headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    if current_app.config["HSTS_SECONDS"]:
        response.headers.setdefault(
            "Strict-Transport-Security", f"max-age={current_app.config['HSTS_SECONDS']}"
        )
    if request.endpoint != "static" and (
        "attachment" in response.headers.get("Content-Disposition", "")
        or (current_user and current_user.is_authenticated)
    ):
        # Pages and files with names are never kept by a browser or a proxy (a download's
        # own "no-cache" would still store it).
        response.headers["Cache-Control"] = "no-store"
    return response


def register_commands(app: Flask) -> None:
    from .cli import register

    register(app)
