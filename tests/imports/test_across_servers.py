"""An import's preview shown and confirmed by any server: real servers on one database, each
with its own instance folder."""

import pytest
from sqlalchemy import func, select

from reintegration.auth.models import Role
from reintegration.cases.models import Case
from reintegration.extensions import db
from tests.browsing import Browser
from tests.conftest import PASSWORD, Factory
from tests.exports.servers import post_file, two_servers
from tests.imports.helpers import people, workbook
from tests.own_database import own_sessions


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    with two_servers(tmp_path_factory, "previews") as (a, b):
        with a.app.app_context():
            make = Factory()
            facility = make.facility("NA", code="NA-SWC")
            staff = make.user(Role.SHELTER_STAFF, facility=facility, language="en")
            ids = {"staff": staff.username, "facility": facility.id}
            db.session.commit()
            db.session.remove()
        yield a, b, ids


@pytest.fixture
def live(servers):
    with own_sessions():
        yield servers


def _cases(app) -> int:
    with app.app_context():
        counted = db.session.scalar(select(func.count(Case.id)))
        db.session.remove()
        return counted


def test_a_preview_uploaded_to_one_server_is_shown_and_imported_by_the_other(live):
    a, b, ids = live
    on_a, on_b = Browser(a.base), Browser(b.base)
    on_a.login(ids["staff"], PASSWORD)
    on_b.login(ids["staff"], PASSWORD)
    before = _cases(a.app)

    status, location = post_file(
        on_a,
        "/imports/",
        {"facility": ids["facility"]},
        "spreadsheet",
        "old cases.xlsx",
        workbook(people(3)),
    )
    assert status == 302
    assert location.startswith("/imports/")

    shown = on_b.get(location)
    assert shown.status == 200
    assert "Every row is right: 3 cases to import." in shown.text
    confirmed = on_b.post(location, shown.form())
    assert confirmed.path == "/cases/"
    # A second click, on the first server, is shown what the first imported; a sending
    # without the form's key (a script) finds the preview gone.
    again = on_a.post(location, shown.form())
    assert (again.status, again.path) == (200, "/cases/")
    keyless = [(name, value) for name, value in shown.form() if name != "submission"]
    assert on_a.post(location, keyless).status == 404
    assert on_a.get(location).status == 404
    assert _cases(a.app) == before + 3
