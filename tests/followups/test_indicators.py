"""Administrators keep the indicators of the sustainability check and their weights."""

import pytest
from sqlalchemy import select

from reintegration.auth.models import Role
from reintegration.extensions import db
from reintegration.followups.models import Indicator
from reintegration.plans.models import Dimension
from tests.followups.conftest import indicators
from tests.helpers import count, field_errors, in_english, reload, sign_in


@pytest.fixture
def admin(make, auth, client):
    user = sign_in(auth, make.user(Role.ADMIN))
    in_english(client)
    return user


def _add(client, **fields):
    data = {
        "code": "savings",
        "dimension": "economic",
        "name_vi": "Có tiền tiết kiệm",
        "name_en": "Has savings",
        "weight": "3",
        **fields,
    }
    return client.post("/admin/indicators", data=data)


def _edit_data(indicator, **fields):
    return {
        "name_vi": indicator.name_vi,
        "name_en": indicator.name_en,
        "weight": str(indicator.weight),
        "active": "y",
        **fields,
    }


def test_the_list_shows_the_shipped_indicators_with_their_weights(client, admin):
    page = client.get("/admin/indicators").get_data(as_text=True)

    assert "Has a regular income" in page
    assert "Feels safe" in page
    assert len(indicators()) == 9


def test_an_indicator_is_added_with_its_code_in_capitals(client, admin):
    response = _add(client)

    assert response.status_code == 302
    added = db.session.scalar(select(Indicator).where(Indicator.code == "SAVINGS"))
    assert (added.dimension, added.name_vi, added.name_en, added.weight, added.active) == (
        Dimension.ECONOMIC,
        "Có tiền tiết kiệm",
        "Has savings",
        3,
        True,
    )


def test_weight_name_and_use_are_changed(client, admin):
    network = indicators()["NETWORK"]

    response = client.post(
        f"/admin/indicators/{network.id}",
        data={"name_vi": "Có người thân hỗ trợ", "name_en": "Has family support", "weight": "4"},
    )

    assert response.status_code == 302
    network = reload(network)
    assert (network.name_vi, network.name_en, network.weight, network.active) == (
        "Có người thân hỗ trợ",
        "Has family support",
        4,
        False,
    )


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"code": ""}, "code", "This field is required."),
        ({"code": "có tiền"}, "code", "Letters, digits and underscores only."),
        ({"code": "income"}, "code", "Another indicator has this code."),
        ({"dimension": "spiritual"}, "dimension", "Not a valid choice."),
        ({"name_vi": ""}, "name_vi", "This field is required."),
        ({"name_en": ""}, "name_en", "This field is required."),
        ({"weight": "0"}, "weight", "Number must be between 1 and 100."),
        ({"weight": ""}, "weight", "This field is required."),
        ({"weight": "heavy"}, "weight", "Not a valid integer value."),
    ],
)
def test_adding_with_bad_input_saves_nothing(client, admin, fields, field, message):
    before = count(Indicator)

    response = _add(client, **fields)

    assert response.status_code == 200
    assert field_errors(response, field)[0] == message
    assert count(Indicator) == before


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"weight": "0"}, "weight", "Number must be between 1 and 100."),
        ({"weight": "-2"}, "weight", "Number must be between 1 and 100."),
        ({"name_en": ""}, "name_en", "This field is required."),
    ],
)
def test_changing_with_bad_input_saves_nothing(client, admin, fields, field, message):
    income = indicators()["INCOME"]

    response = client.post(f"/admin/indicators/{income.id}", data=_edit_data(income, **fields))

    assert response.status_code == 200
    assert field_errors(response, field) == [message]
    income = reload(income)
    assert (income.weight, income.name_en) == (2, "Has a regular income")


@pytest.mark.parametrize(
    "role", [Role.SHELTER_STAFF, Role.PROVINCIAL_OFFICER, Role.CASE_WORKER, Role.TRAINER]
)
def test_only_administrators_keep_the_indicators(client, make, auth, role):
    if role == Role.SHELTER_STAFF:
        sign_in(auth, make.user(role, facility=make.facility()))
    else:
        sign_in(auth, make.user(role, province="NA"))
    income = indicators()["INCOME"]
    before = count(Indicator)

    statuses = [
        client.get("/admin/indicators").status_code,
        _add(client).status_code,
        client.get(f"/admin/indicators/{income.id}").status_code,
        client.post(
            f"/admin/indicators/{income.id}", data=_edit_data(income, weight="9")
        ).status_code,
    ]

    assert statuses == [403, 403, 403, 403]
    assert count(Indicator) == before
    assert reload(income).weight == 2


def test_an_unknown_indicator_answers_404(client, admin):
    assert client.get("/admin/indicators/999999").status_code == 404
