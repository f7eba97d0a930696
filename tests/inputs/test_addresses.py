"""Query strings and addresses: numbers a database cannot take, searches too long to run, and
the last line of defence when a value reaches the database all the same."""

import logging

import pytest
from sqlalchemy.exc import DataError

from reintegration.auth.models import Role
from tests.helpers import field_errors, in_english, sign_in, text_of
from tests.inputs.hostile import CONTROL


@pytest.fixture
def admin(make, auth, client):
    user = sign_in(auth, make.user(Role.ADMIN))
    in_english(client)
    return user


@pytest.mark.parametrize(
    "address",
    ["/cases/2147483648", "/cases/" + "9" * 30, "/cases/" + "9" * 5000, "/courses/99999999999"],
)
def test_an_id_no_record_can_have_is_not_found(client, admin, address):
    assert client.get(address).status_code == 404


def test_an_id_that_can_exist_but_does_not_is_not_found(client, admin):
    assert client.get("/cases/2147483647").status_code == 404


@pytest.mark.parametrize("page", ["9" * 30, "-5", "²", "1e9", "9" * 5000])
def test_a_page_number_out_of_range_shows_the_first_page(client, make, admin, page):
    case = make.case()

    for address in ("/cases/", "/admin/audit/"):
        response = client.get(address, query_string={"page": page})
        assert response.status_code == 200
    assert case.code in text_of(client.get("/cases/", query_string={"page": page}))


@pytest.mark.parametrize(
    "query",
    [
        {"endpoint": "main.home"},
        {"_external": "1", "_scheme": "javascript"},
        {"_method": "POST"},
        {"_anchor": "x"},
    ],
)
def test_the_page_links_keep_the_filters_and_nothing_else(
    app, client, make, admin, monkeypatch, query
):
    monkeypatch.setitem(app.config, "CASES_PER_PAGE", 1)
    make.case()
    make.case()

    response = client.get("/cases/", query_string={"stage": "received", **query})

    assert response.status_code == 200
    assert 'href="/cases/?stage=received&amp;page=2"' in response.get_data(as_text=True)


def test_a_search_of_60000_characters_is_refused_and_the_list_shown(client, make, admin):
    case = make.case()

    response = client.post("/cases/", data={"q": "Nguyễn " * 10_000})

    assert response.status_code == 200
    assert field_errors(response, "q") == ["Field cannot be longer than 100 characters."]
    assert case.code in text_of(response)


@pytest.mark.parametrize(
    "query",
    [
        {"facility": "9" * 30},
        {"q": "a\x00b"},
        {"stage": "x" * 5000},
        {"sort": ["received", "code"]},
        {"days": "\uffff"},
    ],
)
def test_filters_that_cannot_be_used_are_refused_and_the_list_shown(client, make, admin, query):
    case = make.case()

    response = client.get("/cases/", query_string=query, follow_redirects=True)

    assert response.status_code == 200  # a search text in the address is dropped first
    assert case.code in text_of(response)


def test_audit_filters_that_cannot_be_used_show_their_message(client, admin):
    query = {"case_code": "NA\x00", "date_from": "0/0"}

    response = client.get("/admin/audit/", query_string=query)

    assert response.status_code == 200
    assert field_errors(response, "case_code")[0] == CONTROL
    assert "Write the date as dd/mm/yyyy." in field_errors(response, "date_from")


# The last line of defence: answered as a bad request, logged without the value.


@pytest.mark.parametrize(
    "error",
    [
        OverflowError("Python int too large to convert to SQLite INTEGER"),
        DataError("INSERT INTO services", {"notes": "secret name"}, Exception("NUL byte")),
    ],
)
def test_a_value_the_database_refuses_is_a_bad_request_logged_without_it(
    app, client, admin, monkeypatch, caplog, error
):
    def fails():
        raise error

    monkeypatch.setitem(app.view_functions, "main.home", fails)

    with caplog.at_level(logging.WARNING, logger="reintegration.errors"):
        response = client.get("/")

    assert response.status_code == 400
    assert "Bad request" in text_of(response)
    (record,) = [r for r in caplog.records if r.name == "reintegration.errors"]
    assert "main.home" in record.getMessage()
    assert "secret name" not in record.getMessage()
    assert "SQLite INTEGER" not in record.getMessage()
