"""Email without a mail server: FakeSMTP keeps what would have been sent."""

import pytest

from reintegration.extensions import db
from reintegration.reminders import digest
from tests.conftest import TODAY
from tests.reminders.helpers import on


class FakeSMTP:
    """Stands in for smtplib.SMTP: keeps what would have been sent; some addresses fail."""

    sent: list = []
    failing: set = set()

    def __init__(self, host, port, timeout=None):
        self.host = host

    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        return False

    def starttls(self):
        pass

    def login(self, _username, _password):
        pass

    def send_message(self, message):
        if message["To"] in self.failing:
            raise OSError("connection reset")
        self.sent.append(message)


@pytest.fixture
def smtp(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.example.org")
    monkeypatch.setattr(FakeSMTP, "sent", [])
    monkeypatch.setattr(FakeSMTP, "failing", set())
    monkeypatch.setattr(digest.smtplib, "SMTP", FakeSMTP)
    return FakeSMTP


@pytest.fixture
def world(world, frozen_clock):
    """The shared world (tests/helpers.py) after the pass of TODAY: its four residents, none
    assessed since admission three days ago, have one "no needs assessment" reminder each."""
    on(frozen_clock, TODAY)
    db.session.commit()
    return world
