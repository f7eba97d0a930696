"""Two people save the same case at the same moment, each from a form read at the same version:
one is saved, the other is shown the conflict, and neither gets an error page.

The two requests run on two threads, each on its own connection of a database of its own
(committed, as in production), released together. On SQLite the second waits for the first
and finds the version moved on; on PostgreSQL both may pass that check, and the second's
UPDATE, which names the version it read, matches no row.
"""

import threading

import pytest
from sqlalchemy import select

from reintegration.auth.models import Role
from reintegration.cases.models import Case
from reintegration.extensions import db
from tests.allowances.test_concurrency import SAFETY_SECONDS
from tests.conftest import PASSWORD, Factory
from tests.own_database import app_on_own_database, own_sessions
from tests.submissions.helpers import filled

ROUNDS = 5  # each round a new pair of forms: the two requests overlap differently each time


@pytest.fixture(scope="module")
def race_app(tmp_path_factory):
    with app_on_own_database(tmp_path_factory, "versions") as app:
        yield app


@pytest.fixture
def committed_case(race_app):
    """A case and two shelter staff of its facility, committed."""
    with own_sessions(), race_app.app_context():
        make = Factory()
        facility = make.facility("NA")
        users = [make.user(Role.SHELTER_STAFF, facility=facility) for _ in range(2)]
        for user in users:
            user.language = "en"
        case = make.case(facility, home_address="Xóm 1")
        db.session.commit()
        made = race_app, [user.username for user in users], case.id
    return made  # outside the app context: each request has its own, as in production


def _signed_in(app, username: str):
    client = app.test_client()
    login = client.post("/login", data={"username": username, "password": PASSWORD})
    assert login.status_code == 302
    return client


def _at_once(pairs) -> list:
    """Each (client, url, data) is sent on its own thread, all released together."""
    barrier = threading.Barrier(len(pairs), timeout=SAFETY_SECONDS)
    answers: list = [None] * len(pairs)

    def send(index: int, client, url: str, data: dict) -> None:
        barrier.wait()
        try:
            answers[index] = client.post(url, data=data)
        except Exception as error:
            answers[index] = error

    threads = [
        threading.Thread(target=send, args=(index, *pair)) for index, pair in enumerate(pairs)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(SAFETY_SECONDS)
    assert not any(thread.is_alive() for thread in threads), "a request never finished"
    return answers


def _address(app, case_id: int) -> str:
    with app.app_context():
        db.session.rollback()
        return db.session.scalar(select(Case.home_address).where(Case.id == case_id))


def test_two_saves_of_the_same_version_at_once_keep_one_and_show_the_other_the_conflict(
    committed_case,
):
    app, usernames, case_id = committed_case
    url = f"/cases/{case_id}/edit"
    with own_sessions():
        clients = [_signed_in(app, username) for username in usernames]
        for round_number in range(ROUNDS):
            addresses = [f"Xóm {round_number}-A", f"Xóm {round_number}-B"]
            forms = [
                filled(client, url, "version", home_address=address)
                for client, address in zip(clients, addresses, strict=True)
            ]
            assert forms[0]["version"] == forms[1]["version"]

            answers = _at_once(list(zip(clients, [url, url], forms, strict=True)))

            assert all(not isinstance(answer, Exception) for answer in answers), answers
            codes = sorted(answer.status_code for answer in answers)
            assert codes == [200, 302], codes
            saved = answers[[a.status_code for a in answers].index(302)]
            shown = answers[[a.status_code for a in answers].index(200)]
            assert 'id="conflict"' in shown.get_data(as_text=True)
            assert _address(app, case_id) == addresses[answers.index(saved)]
