"""A province's database with the demo in it, shared by the operations tests (they only read it,
or add rows of their own), and a verified backup of it."""

import pytest

from reintegration.audit.services import acting_as
from reintegration.demo import load_demo
from reintegration.operations.backups import make_backup
from tests.own_database import app_on_own_database, own_sessions


@pytest.fixture(scope="session")
def province(tmp_path_factory):
    folder = tmp_path_factory.mktemp("province-backups") / "backups"
    with app_on_own_database(tmp_path_factory, "ops_demo", BACKUP_FOLDER=str(folder)) as app:
        with own_sessions(), app.app_context(), acting_as("demo"):
            app.config["DEMO_ACCOUNTS"] = load_demo()
        yield app


@pytest.fixture(scope="session")
def province_backup(province):
    with own_sessions(), province.app_context():
        return make_backup(province)
