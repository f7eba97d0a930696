"""Sensitive values stay out of error messages, error pages and logs."""

import logging

import pytest
from sqlalchemy.exc import IntegrityError

from reintegration.auth.models import Role
from reintegration.casefile import queries
from reintegration.cases.models import Case
from reintegration.extensions import db

SECRET_NAME = "Hoàng Thị Bí Mật"


def test_a_database_error_does_not_carry_the_values_it_tried_to_write(make):
    existing = make.case()
    duplicate = Case(
        code=existing.code,
        full_name=SECRET_NAME,
        sex=existing.sex,
        received_on=existing.received_on,
        province=existing.province,
        identification_status=existing.identification_status,
    )

    savepoint = db.session.begin_nested()
    db.session.add(duplicate)
    with pytest.raises(IntegrityError) as error:
        db.session.flush()
    savepoint.rollback()

    # PostgreSQL itself names the duplicated key (here the pseudonymous code), never the row.
    assert SECRET_NAME not in str(error.value)


def test_an_unexpected_error_shows_a_friendly_page_without_its_details(
    app, client, make, auth, monkeypatch, caplog
):
    def broken(*_args, **_kwargs):
        raise RuntimeError("the query failed")

    monkeypatch.setattr(queries, "search_cases", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    auth.login(make.user(Role.ADMIN))

    with caplog.at_level(logging.ERROR):
        response = client.get("/cases/")

    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "the query failed" not in page
    assert "Traceback" not in page
    assert 'href="/"' in page


def test_login_failures_are_not_logged_with_the_password_typed(client, make, caplog):
    user = make.user(Role.ADMIN)
    db.session.commit()

    with caplog.at_level(logging.DEBUG):
        client.post("/login", data={"username": user.username, "password": "Wrong-Secret-99"})

    assert "Wrong-Secret-99" not in caplog.text
