"""The morning email: the inbox's reminders, case codes and links only, sent once a day."""

import logging

from sqlalchemy import select

from reintegration.auth.models import Role
from reintegration.extensions import db
from reintegration.reminders import digest
from reintegration.reminders.models import DigestDelivery
from tests.conftest import TODAY
from tests.helpers import CASE_NAMES, sign_in, text_of


def _staff(make, world, email="nhanvien@example.org", language="en"):
    user = world.user(make, Role.SHELTER_STAFF)
    user.email = email
    user.language = language
    user.wants_digest = True
    db.session.commit()
    return user


def test_the_digest_lists_the_same_reminders_as_the_inbox(auth, make, world, smtp):
    user = _staff(make, world)
    result = digest.send_digests(TODAY)
    assert result.sent == 1
    (message,) = smtp.sent
    body = message.get_content()
    assert message["To"] == "nhanvien@example.org"
    assert "1 reminders, 0 overdue (15/03/2026)" in message["Subject"]
    assert world.cases["here"].code in body
    assert "No needs assessment since admission" in body
    assert f"http://localhost:5000/cases/{world.cases['here'].id}#stays" in body
    sign_in(auth, user)
    inbox = text_of(auth.client.get("/tasks/"))
    shown = {case.code for case in world.cases.values() if case.code in inbox}
    listed = {case.code for case in world.cases.values() if case.code in body}
    assert shown == listed == {world.cases["here"].code}


def test_the_digest_names_nobody(make, world, smtp):
    user = world.user(make, Role.ADMIN)
    user.email = "quantri@example.org"
    user.wants_digest = True
    db.session.commit()
    from tests.reminders.test_inbox import _tell_everyone

    _tell_everyone("no_needs_assessment")
    db.session.commit()
    digest.send_digests(TODAY)
    (message,) = smtp.sent
    body = message.get_content()
    assert all(case.code in body for case in world.cases.values())
    for name in CASE_NAMES.values():
        assert name not in body
        assert name.split()[0] not in body
    assert "2000" not in body  # no birth date


def test_the_digest_speaks_the_users_language(make, world, smtp):
    _staff(make, world, language="vi")
    digest.send_digests(TODAY)
    assert "Chưa đánh giá nhu cầu" in smtp.sent[0].get_content()


def test_a_second_run_the_same_day_sends_nothing(make, world, smtp):
    _staff(make, world)
    digest.send_digests(TODAY)
    again = digest.send_digests(TODAY)
    assert again.sent == 0
    assert len(smtp.sent) == 1


def test_a_failed_send_does_not_stop_the_others_and_is_tried_again(make, world, smtp, caplog):
    _staff(make, world, email="hong@example.org")
    other = world.user(make, Role.SHELTER_STAFF)
    other.email = "tot@example.org"
    other.wants_digest = True
    db.session.commit()
    smtp.failing = {"hong@example.org"}
    with caplog.at_level(logging.ERROR, logger="reintegration.reminders.digest"):
        first = digest.send_digests(TODAY)
    assert (first.sent, first.failed) == (1, 1)
    assert [m["To"] for m in smtp.sent] == ["tot@example.org"]
    assert "tried again at the next run" in caplog.text
    assert world.cases["here"].code not in caplog.text

    smtp.failing = set()
    second = digest.send_digests(TODAY)
    assert (second.sent, second.failed) == (1, 0)
    assert [m["To"] for m in smtp.sent] == ["tot@example.org", "hong@example.org"]


def test_users_without_an_address_or_who_did_not_ask_get_nothing(make, world, smtp):
    _staff(make, world, email="")
    not_asked = world.user(make, Role.SHELTER_STAFF)
    not_asked.email = "khong@example.org"  # the daily email is off until the user turns it on
    db.session.commit()
    assert digest.send_digests(TODAY).sent == 0
    assert smtp.sent == []


def test_nothing_due_sends_no_email(make, smtp):
    user = make.user(Role.CASE_WORKER, province="HT")
    user.email = "xa@example.org"
    user.wants_digest = True
    db.session.commit()
    assert digest.send_digests(TODAY).empty == 1
    assert smtp.sent == []


def test_without_smtp_development_writes_the_digest_to_the_log(
    app, make, world, monkeypatch, caplog
):
    monkeypatch.setitem(app.config, "ENV", "development")
    _staff(make, world)
    with caplog.at_level(logging.INFO, logger="reintegration.reminders.digest"):
        assert digest.send_digests(TODAY).sent == 1
    assert world.cases["here"].code in caplog.text
    assert CASE_NAMES["here"] not in caplog.text


def test_without_smtp_production_sends_nothing_and_says_why(make, world, caplog):
    _staff(make, world)
    with caplog.at_level(logging.WARNING, logger="reintegration.reminders.digest"):
        assert digest.send_digests(TODAY).sent == 0
    assert "MAIL_SERVER is not set" in caplog.text
    assert db.session.scalars(select(DigestDelivery)).all() == []


def test_no_transaction_is_open_while_the_mail_server_is_talked_to(make, world, smtp, monkeypatch):
    _staff(make, world)
    open_while_sending = []
    send = smtp.send_message

    def watching(self, message):
        open_while_sending.append(db.session().in_transaction())
        send(self, message)

    monkeypatch.setattr(smtp, "send_message", watching)
    assert digest.send_digests(TODAY).sent == 1
    assert open_while_sending == [False]  # on SQLite an open one would hold the write lock
