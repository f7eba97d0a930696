import os
import stat

import pytest

from reintegration import create_app
from reintegration.extensions import db
from reintegration.keys.keyring import TEST_KEYS


@pytest.fixture
def environment(monkeypatch, tmp_path):
    """No configuration from this machine: an empty instance folder, no variables."""
    for name in ("SECRET_KEY", "REINTEGRATION_ENV", "SESSION_MINUTES", "AUTO_MIGRATE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("REINTEGRATION_INSTANCE", str(tmp_path))
    return monkeypatch


@pytest.fixture
def build(app, environment):
    """``build(overrides)``: a second app on the test database, its engine closed after."""
    built = []

    def make(overrides: dict):
        settings = {
            "AUTO_MIGRATE": False,
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "DATA_KEYS": TEST_KEYS,  # the test database's key, as a server would have it
            **overrides,
        }
        other = create_app(settings)
        built.append(other)
        return other

    yield make
    for other in built:
        with other.app_context():
            db.engine.dispose()


def test_production_app_sends_cookies_only_over_https(build):
    production = build({"ENV": "production", "TESTING": False, "SECRET_KEY": "a long secret"})

    assert production.config["SESSION_COOKIE_SECURE"] is True
    assert production.config["REMEMBER_COOKIE_SECURE"] is True
    response = production.test_client().get("/setup")
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_production_app_checks_csrf_tokens(build):
    production = build({"ENV": "production", "TESTING": False, "SECRET_KEY": "a long secret"})

    assert production.config["WTF_CSRF_ENABLED"] is True


def test_development_app_allows_cookies_over_plain_http(build):
    development = build({"ENV": "development", "SECRET_KEY": "a long secret"})

    assert development.config["SESSION_COOKIE_SECURE"] is False


def test_sessions_last_thirty_minutes_by_default(build):
    production = build({"ENV": "production", "SECRET_KEY": "a long secret"})

    assert production.config["PERMANENT_SESSION_LIFETIME"].total_seconds() == 30 * 60


def test_app_refuses_to_start_without_a_secret_key_outside_development(build):
    with pytest.raises(RuntimeError, match="SECRET_KEY is not set"):
        build({"ENV": "production", "TESTING": False})


def test_production_is_the_default_environment(build):
    with pytest.raises(RuntimeError, match="SECRET_KEY is not set"):
        build({"TESTING": False})


def test_secret_key_is_read_from_the_environment(build, environment):
    environment.setenv("SECRET_KEY", "from the environment")

    production = build({"TESTING": False})

    assert production.config["SECRET_KEY"] == "from the environment"
    assert production.config["SESSION_COOKIE_SECURE"] is True


def test_development_keeps_a_generated_secret_key_in_the_instance_folder(
    build, environment, tmp_path
):
    environment.setenv("REINTEGRATION_ENV", "development")

    first = build({}).config["SECRET_KEY"]
    second = build({}).config["SECRET_KEY"]

    assert first == second
    assert len(first) >= 32
    key_file = tmp_path / "development-secret-key"
    assert key_file.read_text().strip() == first
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600


def test_postgresql_address_uses_the_psycopg_driver(build):
    production = build(
        {"SECRET_KEY": "a long secret", "DATABASE_URL": "postgresql://tracker@db.local/tracker"}
    )

    uri = production.config["SQLALCHEMY_DATABASE_URI"]
    assert uri == "postgresql+psycopg://tracker@db.local/tracker"


def test_without_a_database_address_the_app_uses_sqlite_in_the_instance_folder(build, tmp_path):
    production = build({"SECRET_KEY": "a long secret", "DATABASE_URL": None})

    assert production.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///" + str(
        tmp_path / "reintegration.db"
    )


def test_the_dataset_threshold_and_the_spreadsheet_limits_are_read_from_the_environment(
    build, environment
):
    environment.setenv("DATASET_K", "20")
    environment.setenv("IMPORT_MAX_ROWS", "200")
    environment.setenv("EXPORT_FILE_HOURS", "6")

    config = build({"SECRET_KEY": "a long secret"}).config

    assert (config["DATASET_K"], config["IMPORT_MAX_ROWS"], config["EXPORT_FILE_HOURS"]) == (
        20,
        200,
        6,
    )


@pytest.mark.parametrize("k", ["4", "1", "0"])
def test_the_app_refuses_to_start_with_a_dataset_threshold_below_five(build, environment, k):
    environment.setenv("DATASET_K", k)

    with pytest.raises(RuntimeError, match=f"DATASET_K is {k}: .* at least 5 people"):
        build({"SECRET_KEY": "a long secret"})


def test_an_instance_config_of_an_older_release_with_the_file_folders_still_starts(
    build, environment, tmp_path
):
    """Import previews and background workbooks moved to the database: the folders an older
    release kept them in are ignored."""
    files = str(tmp_path / "files")
    (tmp_path / "config.py").write_text(f"IMPORT_FOLDER = {files!r}\nEXPORT_FOLDER = {files!r}\n")
    environment.setenv("EXPORT_FOLDER", str(tmp_path / "files"))

    app = build({"SECRET_KEY": "a long secret"})

    assert app.config["EXPORT_FILE_HOURS"] == 24
    assert not (tmp_path / "files").exists()


def test_the_app_refuses_to_start_when_a_working_job_could_be_taken_for_a_stopped_one(
    build, environment
):
    environment.setenv("EXPORT_HEARTBEAT_SECONDS", "40")

    with pytest.raises(RuntimeError, match="EXPORT_STALE_SECONDS must be at least twice"):
        build({"SECRET_KEY": "a long secret"})


def test_the_app_refuses_to_start_when_background_workbooks_would_last_no_hour(build, environment):
    environment.setenv("EXPORT_FILE_HOURS", "0")

    with pytest.raises(RuntimeError, match="EXPORT_FILE_HOURS must be at least 1"):
        build({"SECRET_KEY": "a long secret"})
