"""Configuration defaults.

Every value here can be overridden by ``instance/config.py`` and then by an environment
variable of the same name (``SECRET_KEY``, ``DATABASE_URL``, ``SESSION_MINUTES``...).
"""

import os
from collections.abc import Callable
from datetime import timedelta

DEVELOPMENT = "development"
DATASET_K_MIN = 5


class Defaults:
    # "development" or "production"; REINTEGRATION_ENV chooses.
    ENV = "production"
    SECRET_KEY: str | None = None
    # The keys of the personal fields, "ID:SECRET" separated by commas, the first encrypting
    # (reintegration/keys/keyring.py). None: read from DATA_KEY_FILE.
    DATA_KEYS: str | None = None
    # The key file (None: instance/data.keys), made by `flask --app wsgi keys new`.
    DATA_KEY_FILE: str | None = None
    DATABASE_URL: str | None = None  # None: SQLite file in instance/
    # Migrations connect with this URL instead, when set: on PostgreSQL, as the role that owns
    # the tables, while the app runs as a role that owns nothing (docs/audit.md).
    MIGRATION_DATABASE_URL: str | None = None
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    # Values never appear in SQL error messages or logs: they may be names or health data.
    SQLALCHEMY_ENGINE_OPTIONS = {"hide_parameters": True, "pool_pre_ping": True}
    # Migrations run when the app starts; tests turn this off and migrate once.
    AUTO_MIGRATE = True

    # Sessions expire after this many minutes without a request.
    SESSION_MINUTES = 30
    # ...and after this many hours from the login, however active.
    SESSION_MAX_HOURS = 12
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # None: secure everywhere but development and tests.
    SESSION_COOKIE_SECURE: bool | None = None
    REMEMBER_COOKIE_SECURE: bool | None = None

    # Strict-Transport-Security: browsers reach the app over HTTPS only, for this many seconds
    # once seen (None: a year in production, off in development and tests; 0: off).
    HSTS_SECONDS: int | None = None

    # Guesses at a password or a two-factor code (reintegration/auth/throttle.py): after
    # LOGIN_FREE_ATTEMPTS failures at one account, each next attempt at it waits 1 s, 2 s,
    # 4 s ... up to LOGIN_ACCOUNT_MAX_WAIT_SECONDS; from one address the same after
    # LOGIN_ADDRESS_FREE_ATTEMPTS failures (at any accounts), up to
    # LOGIN_ADDRESS_MAX_WAIT_SECONDS. No account is ever locked: the short wait of an account
    # keeps a guesser from keeping its owner out. A count starts again LOGIN_FORGET_MINUTES
    # after its last failure.
    LOGIN_FREE_ATTEMPTS = 5
    LOGIN_ACCOUNT_MAX_WAIT_SECONDS = 60
    LOGIN_ADDRESS_FREE_ATTEMPTS = 10
    LOGIN_ADDRESS_MAX_WAIT_SECONDS = 15 * 60
    LOGIN_FORGET_MINUTES = 60
    # How many reverse proxies in front of the app set X-Forwarded-For (0: none, the app is
    # reached directly). Behind one (nginx, a load balancer) set 1, or every visitor has the
    # proxy's address: guesses would be counted as one address's, and the audit log would
    # show the proxy.
    PROXY_COUNT = 0

    # Two-factor login (TOTP): the roles that must use it (any role may turn it on), and how
    # long the code page waits after the password. Wrong codes count as guesses (above).
    TOTP_REQUIRED_ROLES = ("admin", "provincial_officer")
    TOTP_PENDING_MINUTES = 5
    # The name authenticator apps show beside the account.
    TOTP_ISSUER = "Reintegration tracker"

    # Argon2 cost; tests lower it so the suite stays quick.
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536

    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    LANGUAGES = ("vi", "en")

    # Decree 162/2025/ND-CP Art. 17: essential-needs support lasts at most 120 days.
    ESSENTIAL_NEEDS_MAX_DAYS = 120
    # A resident is flagged as near the end of the stay within this many days.
    STAY_ENDING_SOON_DAYS = 10

    # Follow-ups planned at discharge and at the start of a job, in months.
    FOLLOW_UP_MONTHS = (1, 3, 6, 12)

    # Reminders: the pass runs every REMINDER_PASS_MINUTES; the digest goes at the first of
    # DIGEST_HOURS (Vietnam time) and a failed send is tried again at the next of them.
    REMINDER_PASS_MINUTES = 60
    DIGEST_HOURS = "7-11"
    # A run missed while the scheduler was down still runs once if it is at most this late.
    SCHEDULER_MISFIRE_GRACE_SECONDS = 3600
    # Start the scheduler inside the web process, for a single process as in development
    # (None: on in development, off elsewhere). In production run `flask --app wsgi scheduler`
    # beside the web workers instead.
    SCHEDULER_IN_WEB: bool | None = None

    # Email: without MAIL_SERVER no email is sent (development writes digests to the log).
    MAIL_SERVER: str | None = None
    MAIL_PORT = 587
    MAIL_USE_TLS = True
    MAIL_USE_SSL = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_SENDER = "reintegration@localhost"
    # The address users open the app at, for the links in emails.
    BASE_URL = "http://localhost:5000"

    # The anonymised dataset publishes only combinations of fields at least this many records
    # share (the Counter Trafficking Data Collaborative's rule). The app refuses to start with
    # less than DATASET_K_MIN: in a group of two or three a reader who knows one person's
    # story recognises the others.
    DATASET_K = 11

    CASES_PER_PAGE = 50
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    # Backups (docs/backups.md): `flask --app wsgi backup` writes them to BACKUP_FOLDER (None:
    # the "backups" folder of the instance folder). The scheduler makes one every night at
    # BACKUP_HOUR (Vietnam time) when NIGHTLY_BACKUP is on (None: on with SQLite, off with
    # PostgreSQL) and keeps the last BACKUP_KEEP. PostgreSQL migrates at start only after a
    # backup at its current revision, unless MIGRATE_WITHOUT_BACKUP.
    BACKUP_FOLDER: str | None = None
    BACKUP_KEEP = 14
    BACKUP_HOUR = 2
    NIGHTLY_BACKUP: bool | None = None
    MIGRATE_WITHOUT_BACKUP = False

    # Importing old spreadsheets: the largest file accepted (checked before it is opened) and
    # the most rows in one file. A checked file waits an hour for its confirmation in the
    # database, sealed (imports/pending.py).
    IMPORT_MAX_BYTES = 5 * 1024 * 1024
    # Checking a row runs the intake's rules (about 8 ms): 500 rows take some 4 s, during which
    # SQLite's write lock is held, well within the 10 s other saves wait for it.
    IMPORT_MAX_ROWS = 500

    # The support workbook: one of more rows than this is made in a background thread and
    # followed on a page of its own, instead of during the request, which a web server would
    # cut off. Its workbook waits EXPORT_FILE_HOURS for its requester in the database, sealed,
    # then is deleted. The process making it writes a heartbeat every EXPORT_HEARTBEAT_SECONDS;
    # one silent for EXPORT_STALE_SECONDS has stopped, and its job is made again by another
    # (exports/jobs.py). (IMPORT_FOLDER and EXPORT_FOLDER, of older releases, are ignored.)
    EXPORT_INLINE_MAX_ROWS = 50_000
    EXPORT_FILE_HOURS = 24
    EXPORT_HEARTBEAT_SECONDS = 15
    EXPORT_STALE_SECONDS = 60


def _flag(value: str) -> bool:
    return value.lower() in ("1", "true", "yes")


def _roles(value: str) -> tuple[str, ...]:
    """A comma-separated list of role names ("admin,provincial_officer"; "" for none)."""
    return tuple(role.strip() for role in value.split(",") if role.strip())


ENV_OVERRIDES: dict[str, Callable[[str], object]] = {
    "SECRET_KEY": str,
    "DATABASE_URL": str,
    "MIGRATION_DATABASE_URL": str,
    "SESSION_MINUTES": int,
    "SESSION_MAX_HOURS": int,
    "HSTS_SECONDS": int,
    "LOGIN_FREE_ATTEMPTS": int,
    "LOGIN_ACCOUNT_MAX_WAIT_SECONDS": int,
    "LOGIN_ADDRESS_FREE_ATTEMPTS": int,
    "LOGIN_ADDRESS_MAX_WAIT_SECONDS": int,
    "LOGIN_FORGET_MINUTES": int,
    "PROXY_COUNT": int,
    "TOTP_REQUIRED_ROLES": _roles,
    "TOTP_ISSUER": str,
    "ESSENTIAL_NEEDS_MAX_DAYS": int,
    "AUTO_MIGRATE": _flag,
    "SCHEDULER_IN_WEB": _flag,
    "MAIL_SERVER": str,
    "MAIL_PORT": int,
    "MAIL_USE_TLS": _flag,
    "MAIL_USE_SSL": _flag,
    "MAIL_USERNAME": str,
    "MAIL_PASSWORD": str,
    "MAIL_SENDER": str,
    "BASE_URL": str,
    "DATA_KEYS": str,
    "DATA_KEY_FILE": str,
    "DATASET_K": int,
    "BACKUP_FOLDER": str,
    "BACKUP_KEEP": int,
    "BACKUP_HOUR": int,
    "NIGHTLY_BACKUP": _flag,
    "MIGRATE_WITHOUT_BACKUP": _flag,
    "IMPORT_MAX_BYTES": int,
    "IMPORT_MAX_ROWS": int,
    "EXPORT_INLINE_MAX_ROWS": int,
    "EXPORT_FILE_HOURS": int,
    "EXPORT_HEARTBEAT_SECONDS": int,
    "EXPORT_STALE_SECONDS": int,
}


def load(app, overrides: dict | None = None) -> None:
    """Defaults, then instance/config.py, then environment variables, then ``overrides``."""
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    env = os.environ.get("REINTEGRATION_ENV")
    if env:
        app.config["ENV"] = env
    for name, parse in ENV_OVERRIDES.items():
        if name in os.environ:
            app.config[name] = parse(os.environ[name])
    if overrides:
        app.config.update(overrides)
    _derive(app)


def _derive(app) -> None:
    config = app.config
    development = config["ENV"] == DEVELOPMENT
    if not config.get("SECRET_KEY"):
        if not development and not config.get("TESTING"):
            raise RuntimeError(
                "SECRET_KEY is not set. Set it in instance/config.py or the environment "
                "(REINTEGRATION_ENV=development allows a generated key on a developer machine)."
            )
        config["SECRET_KEY"] = _development_secret(app.instance_path)
    url = config.get("DATABASE_URL") or "sqlite:///" + os.path.join(
        app.instance_path, "reintegration.db"
    )
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    config["SQLALCHEMY_DATABASE_URI"] = url
    _check_spreadsheet_settings(config)
    _check_backup_settings(config)
    secure = not development and not config.get("TESTING")
    for name in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if config.get(name) is None:
            config[name] = secure
    if config.get("HSTS_SECONDS") is None:
        config["HSTS_SECONDS"] = 365 * 24 * 3600 if secure else 0
    config["PERMANENT_SESSION_LIFETIME"] = timedelta(minutes=config["SESSION_MINUTES"])
    if config.get("SCHEDULER_IN_WEB") is None:
        config["SCHEDULER_IN_WEB"] = development and not config.get("TESTING")
    _move_clock(development)


def _check_spreadsheet_settings(config) -> None:
    if config["DATASET_K"] < DATASET_K_MIN:
        raise RuntimeError(
            f"DATASET_K is {config['DATASET_K']}: the anonymised dataset needs groups of at "
            f"least {DATASET_K_MIN} people (11 by default)."
        )
    if config["EXPORT_FILE_HOURS"] < 1:
        raise RuntimeError(
            "EXPORT_FILE_HOURS must be at least 1: a workbook needs time to be made."
        )
    if not 0 < config["EXPORT_HEARTBEAT_SECONDS"] * 2 <= config["EXPORT_STALE_SECONDS"]:
        raise RuntimeError(
            "EXPORT_STALE_SECONDS must be at least twice EXPORT_HEARTBEAT_SECONDS: a working "
            "job would otherwise be taken for a stopped one."
        )


def _check_backup_settings(config) -> None:
    if config.get("NIGHTLY_BACKUP") is None:
        # Not in tests: a scheduler test would back up its database into instance/.
        sqlite = config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
        config["NIGHTLY_BACKUP"] = sqlite and not config.get("TESTING")
    if config["BACKUP_KEEP"] < 1:
        raise RuntimeError("BACKUP_KEEP must be at least 1: the newest backup is always kept.")
    if not 0 <= config["BACKUP_HOUR"] <= 23:
        raise RuntimeError("BACKUP_HOUR is an hour of the day, 0 to 23 (Vietnam time).")


def _move_clock(development: bool) -> None:
    """REINTEGRATION_TODAY=YYYY-MM-DD lets a developer see the app on another day."""
    moved = os.environ.get("REINTEGRATION_TODAY")
    if not moved:
        return
    if not development:
        raise RuntimeError("REINTEGRATION_TODAY is for development only.")
    from datetime import date

    from . import clock

    clock.move_to(date.fromisoformat(moved))


def _development_secret(instance_path: str) -> str:
    """A key kept in instance/ so that development sessions survive a restart."""
    import secrets

    path = os.path.join(instance_path, "development-secret-key")
    if os.path.exists(path):
        with open(path) as handle:
            return handle.read().strip()
    key = secrets.token_hex(32)
    os.makedirs(instance_path, exist_ok=True)
    with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as handle:
        handle.write(key)
    return key
