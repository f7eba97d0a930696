"""The anonymised dataset page: who may download it, what the file holds, what is logged."""

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from reintegration.audit.models import Action, AuditEntry
from reintegration.auth.models import Role
from reintegration.extensions import db
from tests.helpers import CASE_NAMES, build_world, field_errors, in_english, sign_in


@pytest.fixture
def officer(auth, make):
    world = build_world(make)
    user = sign_in(auth, world.user(make, Role.PROVINCIAL_OFFICER))
    in_english(auth.client)
    return world, user


def _download(client, **data):
    return client.post("/exports/dataset", data={"file_format": "xlsx", **data})


def test_an_officer_downloads_the_dataset_of_their_scope_without_identifiers(
    app, auth, officer, monkeypatch
):
    world, user = officer
    monkeypatch.setitem(app.config, "DATASET_K", 1)
    response = _download(auth.client)
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Sex"
    assert len(rows) - 1 == 3  # the three cases an officer of Nghe An follows
    cells = " ".join(str(value) for row in rows for value in row)
    for case in world.cases.values():
        assert case.code not in cells
    for name in CASE_NAMES.values():
        assert name not in cells
    entry = db.session.scalar(
        select(AuditEntry).where(
            AuditEntry.action == Action.EXPORT, AuditEntry.entity == "anonymised_dataset"
        )
    )
    assert entry.user_id == user.id
    assert entry.changes["published"] == 3
    assert entry.changes["k"] == 1


def test_combinations_rarer_than_k_are_not_published(auth, officer):
    response = _download(auth.client, file_format="csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert len(rows) == 1  # three people cannot make a combination of eleven: headers only


@pytest.mark.parametrize(
    ("data", "field"),
    [({"year_from": "2026", "year_to": "2020"}, "year_to"), ({"year_from": "abc"}, "year_from")],
)
def test_bad_years_are_refused_beside_the_field(auth, officer, data, field):
    response = _download(auth.client, **data)
    assert response.status_code == 200
    assert field_errors(response, field)
    assert (
        db.session.scalar(select(AuditEntry).where(AuditEntry.entity == "anonymised_dataset"))
        is None
    )


@pytest.mark.parametrize("role", [Role.SHELTER_STAFF, Role.CASE_WORKER, Role.TRAINER])
def test_other_roles_may_not_download_it(auth, make, role):
    world = build_world(make)
    sign_in(auth, world.user(make, role))
    assert auth.client.get("/exports/dataset").status_code == 403
    assert _download(auth.client).status_code == 403
