import pytest
from sqlalchemy import func, select

from reintegration.auth.models import Role
from reintegration.extensions import db
from reintegration.reference.models import Commune, ListItem, ListKind


@pytest.fixture
def admin(make, auth):
    user = make.user(Role.ADMIN)
    auth.login(user)
    return user


def _items(kind: ListKind) -> int:
    return db.session.scalar(select(func.count(ListItem.id)).where(ListItem.kind == kind))


def test_administrator_adds_a_country_offered_on_the_intake_form(client, admin):
    response = client.post(
        "/admin/lists/country",
        data={"code": "ru", "name_vi": "Liên bang Nga", "name_en": "Russia"},
    )

    assert response.status_code == 302
    assert "Liên bang Nga" in client.get("/cases/new").get_data(as_text=True)


def test_a_code_already_in_the_list_is_refused_and_nothing_is_added(client, admin):
    before = _items(ListKind.COUNTRY)

    response = client.post(
        "/admin/lists/country", data={"code": "CN", "name_vi": "Trung Hoa", "name_en": "China"}
    )

    assert response.status_code == 200
    assert 'class="invalid-feedback"' in response.get_data(as_text=True)
    assert _items(ListKind.COUNTRY) == before


def test_an_entry_taken_out_of_use_is_no_longer_offered_but_kept(client, admin, make):
    item = make.item(ListKind.COUNTRY, "MM")

    client.post(
        f"/admin/lists/country/{item.id}", data={"name_vi": "Myanmar", "name_en": "Myanmar"}
    )

    db.session.refresh(item)
    assert item.active is False
    assert "Myanmar" not in client.get("/cases/new").get_data(as_text=True)


def test_communes_pasted_one_per_line_are_added_once(client, admin, make):
    province = make.province("HT")

    client.post(
        f"/admin/provinces/{province.id}/communes",
        data={"names": "Xã Hương Sơn\nXã Đức Thọ\n\nXã Hương Sơn"},
    )
    client.post(f"/admin/provinces/{province.id}/communes", data={"names": "Xã Đức Thọ"})

    names = db.session.scalars(select(Commune.name_vi).where(Commune.province_id == province.id))
    assert sorted(names) == ["Xã Hương Sơn", "Xã Đức Thọ"]


def test_english_names_that_do_not_match_the_communes_are_refused(client, admin, make):
    province = make.province("HT")

    response = client.post(
        f"/admin/provinces/{province.id}/communes",
        data={"names": "Xã Hương Sơn\nXã Đức Thọ", "english": "Huong Son"},
    )

    assert response.status_code == 200
    assert 'class="invalid-feedback"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Commune.id))) == 0


@pytest.mark.parametrize(
    "role", [Role.SHELTER_STAFF, Role.PROVINCIAL_OFFICER, Role.CASE_WORKER, Role.TRAINER]
)
def test_only_administrators_edit_the_lists(client, make, auth, role):
    facility = make.facility()
    user = make.user(
        role,
        facility=facility if role == Role.SHELTER_STAFF else None,
        province=None if role == Role.SHELTER_STAFF else "NA",
    )
    auth.login(user)

    assert client.get("/admin/lists/").status_code == 403
    assert client.post("/admin/lists/country", data={"code": "X"}).status_code == 403
    assert client.get(f"/admin/provinces/{make.province().id}/communes").status_code == 403
