"""A form sent twice at the same moment, through real connections, is saved once.

A double click sends the second request while the first is still saving. The two requests run
on two threads, each on its own connection of a database of its own (committed, as in
production), released together.
"""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from reintegration.auth.models import Role
from reintegration.extensions import db
from reintegration.shelter.models import Service
from tests.allowances.test_concurrency import SAFETY_SECONDS
from tests.conftest import PASSWORD, TODAY, Factory
from tests.own_database import app_on_own_database, own_sessions
from tests.submissions.helpers import ALREADY_SAVED, filled, flashed

ROUNDS = 5  # each round a new form: the two requests overlap differently each time


@pytest.fixture(scope="module")
def race_app(tmp_path_factory):
    with app_on_own_database(tmp_path_factory, "submissions") as app:
        yield app


@pytest.fixture
def committed_stay(race_app):
    """A person in the shelter and a staff member of the shelter, committed."""
    with own_sessions(), race_app.app_context():
        make = Factory()
        facility = make.facility("NA")
        user = make.user(Role.SHELTER_STAFF, facility=facility)
        user.language = "en"
        case = make.case(facility, received_on=TODAY - timedelta(days=5))
        make.stay(case, admitted_on=TODAY - timedelta(days=5))
        kind_id = make.service_kind("needs_assessment").id
        db.session.commit()
        made = race_app, user.username, case.id, kind_id
    return made  # outside the app context: each request has its own, as in production


def _signed_in(app, username: str):
    client = app.test_client()
    assert (
        client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    )
    return client


def _at_once(app, clients, url: str, data: dict) -> list:
    """Each client sends ``data`` to ``url`` on its own thread, all released together."""
    barrier = threading.Barrier(len(clients), timeout=SAFETY_SECONDS)
    answers: list = [None] * len(clients)

    def send(index: int, client) -> None:
        barrier.wait()
        try:
            answers[index] = client.post(url, data=data)
        except Exception as error:
            answers[index] = error

    threads = [threading.Thread(target=send, args=pair) for pair in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(SAFETY_SECONDS)
    assert not any(thread.is_alive() for thread in threads), "a request never finished"
    return answers


def _services(case_id: int) -> int:
    db.session.rollback()
    return db.session.scalar(
        select(func.count()).select_from(Service).where(Service.case_id == case_id)
    )


def test_a_double_click_on_save_records_one_service(committed_stay):
    app, username, case_id, kind_id = committed_stay
    url = f"/cases/{case_id}/services/new"
    with own_sessions():
        clients = [_signed_in(app, username) for _ in range(2)]
        for round_number in range(ROUNDS):
            data = filled(
                clients[0],
                url,
                kind=str(kind_id),
                provider=f"Cán bộ tâm lý, lần {round_number}",
                cost="150.000",
            )

            answers = _at_once(app, clients, url, data)

            assert [answer.status_code for answer in answers] == [302, 302], answers
            assert {answer.headers["Location"] for answer in answers} == {f"/cases/{case_id}"}
            with app.app_context():
                assert _services(case_id) == round_number + 1
            told = sorted(flashed(client.get(f"/cases/{case_id}")) for client in clients)
            assert told == [["The service is recorded."], [ALREADY_SAVED]]
