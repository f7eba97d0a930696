"""Who may import, and into which facility."""

import pytest

from reintegration.auth.models import Role
from reintegration.cases.models import Case
from reintegration.extensions import db
from tests.helpers import count, in_english, sign_in, text_of
from tests.imports.helpers import people, token_of, upload, workbook


@pytest.mark.parametrize("role", [Role.CASE_WORKER, Role.TRAINER])
def test_case_workers_and_trainers_may_not_import(client, make, auth, facility, role):
    sign_in(auth, make.user(role, province="NA" if role == Role.CASE_WORKER else None))

    assert client.get("/imports/").status_code == 403
    assert client.get("/imports/template.xlsx").status_code == 403
    assert upload(client, workbook(people(2)), facility).status_code == 403
    assert count(Case) == 0


@pytest.mark.parametrize("role", [Role.CASE_WORKER, Role.TRAINER])
def test_a_preview_is_not_found_by_those_who_may_not_import(
    client, make, auth, staff, facility, role
):
    token = token_of(upload(client, workbook(people(2)), facility))
    auth.logout()
    sign_in(auth, make.user(role, province="NA" if role == Role.CASE_WORKER else None))

    assert client.get(f"/imports/{token}").status_code == 404
    assert client.post(f"/imports/{token}").status_code == 404


def test_the_import_page_asks_to_log_in_first(client):
    response = client.get("/imports/")

    assert response.status_code == 302
    assert response.location.startswith("/login")
    assert "next=%2Fimports%2F" in response.location


def test_a_shelter_worker_imports_into_their_own_facility_only(client, make, staff, facility):
    other = make.facility("NA", code="NA-PH2")
    in_english(client)

    page = client.get("/imports/")
    crafted = upload(client, workbook(people(2)), other)

    assert other.name not in text_of(page)
    assert crafted.status_code == 200
    assert "Not a valid choice." in text_of(crafted)
    assert count(Case) == 0


def test_a_preview_for_a_facility_out_of_scope_is_not_found(client, make, auth, facility):
    officer = sign_in(auth, make.user(Role.PROVINCIAL_OFFICER, province="NA"))
    token = token_of(upload(client, workbook(people(2)), facility))
    officer.province = make.province("HT")  # moved to another province meanwhile
    db.session.commit()

    assert client.post(f"/imports/{token}").status_code == 404
    assert count(Case) == 0


def test_the_case_list_links_to_the_import_for_those_who_may_import(client, make, auth, staff):
    in_english(client)

    assert "Import from a spreadsheet" in text_of(client.get("/cases/"))

    auth.logout()
    sign_in(auth, make.user(Role.CASE_WORKER, province="NA"))
    in_english(client)
    assert "Import from a spreadsheet" not in text_of(client.get("/cases/"))
