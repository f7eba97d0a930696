"""The administrator's support policy pages: the entitlement table, the standard level, allowance
kinds and their dated rules, public holidays; and that no other role reaches them."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from reintegration.audit.models import Action, AuditEntry
from reintegration.auth.models import Role
from reintegration.errors import DomainError
from reintegration.extensions import db
from reintegration.reference.models import Entitlement, IdentificationStatus
from reintegration.support import services as admin_services
from reintegration.support.models import (
    AllowanceKind,
    AllowanceRule,
    AssistanceLevel,
    Holiday,
    Method,
)
from tests.allowances.helpers import kind, new_kind, request, rule, support_type
from tests.helpers import (
    count,
    field_errors,
    form_errors,
    in_english,
    reload,
    sign_in,
    text_of,
)

OTHER_ROLES = [Role.SHELTER_STAFF, Role.PROVINCIAL_OFFICER, Role.CASE_WORKER, Role.TRAINER]


@pytest.fixture
def admin(make, auth, client):
    user = sign_in(auth, make.user(Role.ADMIN))
    in_english(client)
    return user


def national(code: str) -> AllowanceRule:
    """The first national rule of a kind of the starting policy (in force from 1 July 2025)."""
    return db.session.scalars(
        select(AllowanceRule)
        .where(AllowanceRule.kind_id == kind(code).id, AllowanceRule.province_id.is_(None))
        .order_by(AllowanceRule.valid_from)
    ).first()


def level(on: date) -> AssistanceLevel | None:
    return db.session.scalar(select(AssistanceLevel).where(AssistanceLevel.valid_from == on))


def rule_form(**fields) -> dict:
    data = dict.fromkeys(
        ("province", "amount", "coefficient", "max_days", "max_times", "valid_from", "valid_to"),
        "",
    )
    return {**data, "method": "fixed", **fields}


def kind_form(**fields) -> dict:
    data = {
        "code": "TRANSPORT",
        "support_type": str(support_type("e").id),
        "name_vi": "Tiền tàu xe về quê",
        "name_en": "Travel home",
        "legal_basis": "Luật 53/2024/QH15, Điều 37(e)",
        "decision_days": "",
        "active": "y",
    }
    return {**data, **fields}


def entitlements() -> set[tuple[IdentificationStatus, int]]:
    return set(db.session.execute(select(Entitlement.status, Entitlement.support_type_id)))


def all_cells(client) -> list[str]:
    """The values of the ticked boxes of the entitlement table, as the page shows them."""
    page = client.get("/admin/policy/").get_data(as_text=True)
    return [
        chunk.split('value="')[1].split('"')[0]
        for chunk in page.split('name="entitled"')[1:]
        if " checked" in chunk.split(">")[0]
    ]


# Who may use the pages


@pytest.fixture
def policy(make):
    """A future level, a kind with one unused rule, and a holiday: each page has something."""
    extra = new_kind("TEST")
    return {
        "level": admin_services.add_level(date(2026, 7, 1), 600_000, "Nghị định mới"),
        "kind": extra,
        "rule": rule(extra, Method.FIXED, date(2026, 1, 1), amount=100_000),
        "holiday": admin_services.add_holiday(date(2026, 12, 24), "Thử", "Test"),
    }


def pages(policy) -> list[str]:
    return [
        "/admin/policy/",
        "/admin/policy/levels",
        "/admin/policy/kinds/",
        "/admin/policy/kinds/new",
        f"/admin/policy/kinds/{policy['kind'].id}",
        f"/admin/policy/kinds/{policy['kind'].id}/rules/new",
        f"/admin/policy/rules/{policy['rule'].id}",
        "/admin/policy/holidays",
        "/admin/policy/holidays?year=2025",
    ]


def changes(policy) -> list[tuple[str, dict]]:
    """A valid POST for every change the pages make."""
    kind_id, rule_id = policy["kind"].id, policy["rule"].id
    return [
        ("/admin/policy/", {"entitled": f"identified:{support_type('a').id}"}),
        ("/admin/policy/levels", {"valid_from": "01/01/2027", "amount": "700000"}),
        (f"/admin/policy/levels/{policy['level'].id}/delete", {}),
        ("/admin/policy/kinds/new", kind_form()),
        (f"/admin/policy/kinds/{kind_id}", kind_form(name_en="Changed")),
        (
            f"/admin/policy/kinds/{kind_id}/rules/new",
            rule_form(amount="200000", valid_from="01/01/2027"),
        ),
        (
            f"/admin/policy/rules/{rule_id}",
            rule_form(amount="1", valid_from="01/01/2026", valid_to="31/12/2026"),
        ),
        (f"/admin/policy/rules/{rule_id}/delete", {}),
        ("/admin/policy/holidays", {"day": "02/01/2027", "name_vi": "Nghỉ", "name_en": "Off"}),
        (f"/admin/policy/holidays/{policy['holiday'].id}/delete", {}),
    ]


def snapshot(policy) -> tuple:
    db.session.expire_all()
    return (
        entitlements(),
        [(lv.valid_from, lv.amount) for lv in db.session.scalars(select(AssistanceLevel))],
        [(k.code, k.name_en, k.active) for k in db.session.scalars(select(AllowanceKind))],
        [(r.id, r.amount, r.valid_to) for r in db.session.scalars(select(AllowanceRule))],
        sorted(db.session.scalars(select(Holiday.day))),
    )


def test_every_page_opens_for_an_administrator(client, admin, policy):
    db.session.commit()
    for path in pages(policy):
        assert client.get(path).status_code == 200, path


def test_the_menu_of_an_administrator_links_to_the_support_policy(client, admin):
    assert 'href="/admin/policy/"' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_every_other_role_is_refused_every_page_and_every_change(
    client, auth, make, world, policy, role
):
    sign_in(auth, world.user(make, role))
    before = snapshot(policy)

    for path in pages(policy):
        assert client.get(path).status_code == 403, path
    for path, data in changes(policy):
        assert client.post(path, data=data).status_code == 403, path

    assert snapshot(policy) == before
    assert 'href="/admin/policy/"' not in client.get("/").get_data(as_text=True)


def test_someone_not_logged_in_is_sent_to_the_login_page(client, policy):
    db.session.commit()
    for path in pages(policy):
        response = client.get(path)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


def test_every_change_an_administrator_posts_is_made(client, admin, policy):
    """The valid POSTs the other roles are refused do work for an administrator."""
    before = snapshot(policy)
    for path, data in changes(policy):
        assert client.post(path, data=data).status_code == 302, path
    assert snapshot(policy) != before


# The overview and the entitlement table


def test_the_overview_says_the_policy_is_a_starting_one_the_province_must_confirm(client, admin):
    page = text_of(client.get("/admin/policy/"))

    assert "A starting policy, to be confirmed by the province." in page
    for path in ("/admin/policy/levels", "/admin/policy/kinds/", "/admin/policy/holidays"):
        assert f'href="{path}"' in page
    assert "500,000 ₫ a month, in force since 01/07/2024." in page


def test_the_entitlement_table_shows_the_law_as_stored(client, admin):
    page = text_of(client.get("/admin/policy/"))

    for status in IdentificationStatus:
        assert status.label in page
    assert page.count('name="entitled"') == 5 * 10
    assert len(all_cells(client)) == len(entitlements()) == 35


def test_unticking_and_ticking_cells_changes_the_entitlements_and_is_logged(client, admin):
    foreign_legal_aid = f"foreign_victim:{support_type('đ').id}"
    child_training = f"accompanying_child:{support_type('i').id}"
    cells = [value for value in all_cells(client) if value != foreign_legal_aid]

    response = client.post("/admin/policy/", data={"entitled": [*cells, child_training]})

    assert response.status_code == 302
    stored = entitlements()
    assert (IdentificationStatus.FOREIGN_VICTIM, support_type("đ").id) not in stored
    assert (IdentificationStatus.ACCOMPANYING_CHILD, support_type("i").id) in stored
    assert len(stored) == 35
    logged = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.entity == "entitlements")
    ).all()
    assert sorted(logged) == sorted([Action.CREATE, Action.DELETE])


def test_a_status_no_longer_entitled_to_a_type_cannot_request_its_allowances(
    client, admin, make, world
):
    hardship = f"identified:{support_type('k').id}"
    cells = [value for value in all_cells(client) if value != hardship]

    client.post("/admin/policy/", data={"entitled": cells})

    with pytest.raises(DomainError, match="not entitled to k"):
        request(make, world.cases["here"], "HARDSHIP")


def test_a_crafted_cell_is_refused_beside_the_table_and_nothing_changes(client, admin):
    before = entitlements()

    response = client.post("/admin/policy/", data={"entitled": ["identified:99999"]})

    assert response.status_code == 200
    assert field_errors(response, "entitled") == [
        "Tick boxes of the table only: a value sent is not one."
    ]
    assert entitlements() == before


# The standard social-assistance level


def test_the_levels_are_listed_with_the_one_in_force_today_marked(client, admin):
    page = client.get("/admin/policy/levels").get_data(as_text=True)

    current = page[page.index("01/07/2024") : page.index("</tr>", page.index("01/07/2024"))]
    older = page[page.index("01/07/2021") : page.index("</tr>", page.index("01/07/2021"))]
    assert "500,000 ₫" in current
    assert "In force today" in current
    assert "360,000 ₫" in older
    assert "In force today" not in older
    assert "Delete" not in current + older


def test_a_level_is_added_from_a_date(client, admin):
    response = client.post(
        "/admin/policy/levels",
        data={"valid_from": "01/07/2026", "amount": "600.000", "legal_basis": "Nghị định X"},
    )

    assert response.status_code == 302
    added = level(date(2026, 7, 1))
    assert (added.amount, added.legal_basis) == (600_000, "Nghị định X")


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "The amount must be more than 0 dong."),
        ("", "This field is required."),
        ("five", "Write a whole amount in dong, for example 1.500.000."),
    ],
)
def test_a_level_without_a_positive_amount_is_refused_beside_the_amount(
    client, admin, amount, message
):
    before = count(AssistanceLevel)

    response = client.post(
        "/admin/policy/levels", data={"valid_from": "01/07/2026", "amount": amount}
    )

    assert field_errors(response, "amount") == [message]
    assert count(AssistanceLevel) == before


def test_a_second_level_on_the_same_date_is_refused_beside_the_date(client, admin):
    before = count(AssistanceLevel)

    response = client.post(
        "/admin/policy/levels", data={"valid_from": "01/07/2024", "amount": "550000"}
    )

    assert field_errors(response, "valid_from") == ["A level already starts on 01/07/2024."]
    assert count(AssistanceLevel) == before
    assert level(date(2024, 7, 1)).amount == 500_000


def test_a_level_with_an_unreadable_date_is_refused_beside_the_date(client, admin):
    response = client.post(
        "/admin/policy/levels", data={"valid_from": "31/02/2026", "amount": "600000"}
    )

    assert field_errors(response, "valid_from") == ["Write the date as dd/mm/yyyy."]
    assert count(AssistanceLevel) == 2


def test_a_level_not_yet_in_force_can_be_deleted(client, admin):
    future = admin_services.add_level(date(2026, 7, 1), 600_000, "")
    db.session.commit()
    delete = f"/admin/policy/levels/{future.id}/delete"

    page = client.get("/admin/policy/levels").get_data(as_text=True)
    response = client.post(delete, follow_redirects=True)

    assert f'action="{delete}"' in page
    assert "The level in force from 01/07/2026 is deleted." in text_of(response)
    assert level(date(2026, 7, 1)) is None


@pytest.mark.parametrize("start", [date(2024, 7, 1), date(2026, 3, 15)])
def test_a_level_in_force_cannot_be_deleted(client, admin, start):
    target = level(start) or admin_services.add_level(start, 510_000, "")
    db.session.commit()

    response = client.post(f"/admin/policy/levels/{target.id}/delete", follow_redirects=True)

    assert form_errors(response) == [
        f"The level in force from {start:%d/%m/%Y} cannot be deleted: allowances may have been "
        "computed from it. Add a level from a later date instead."
    ]
    assert level(start) is not None


def test_a_new_level_changes_new_coefficient_allowances_after_it_not_those_requested(
    client, admin, make, world
):
    already = request(make, world.cases["here"], "VOCATIONAL")
    db.session.commit()
    assert already.amount == 3 * 500_000

    client.post("/admin/policy/levels", data={"valid_from": "01/07/2026", "amount": "600000"})

    after = request(make, world.cases["neighbour"], "VOCATIONAL", start=date(2026, 7, 15))
    before = request(make, world.cases["far"], "VOCATIONAL", start=date(2026, 6, 30))
    assert after.amount == 3 * 600_000
    assert before.amount == 3 * 500_000
    assert reload(already).amount == 3 * 500_000


def test_a_future_level_an_allowance_was_computed_from_cannot_be_deleted(
    client, admin, make, world
):
    future = admin_services.add_level(date(2026, 7, 1), 600_000, "")
    request(make, world.cases["here"], "VOCATIONAL", start=date(2026, 7, 15))
    db.session.commit()

    response = client.post(f"/admin/policy/levels/{future.id}/delete", follow_redirects=True)

    assert form_errors(response) == [
        "An allowance was already computed from the level in force from 01/07/2026, so it "
        "cannot be deleted."
    ]
    assert level(date(2026, 7, 1)) is not None


# Allowance kinds


def test_kinds_are_listed_under_their_support_type_with_their_rules(client, admin, make):
    rule(
        kind("HARDSHIP"),
        Method.FIXED,
        date(2026, 1, 1),
        amount=4_000_000,
        province_id=make.province("NA").id,
    )
    db.session.commit()

    page = text_of(client.get("/admin/policy/kinds/"))

    essential, training = page.index(support_type("a").title), page.index(support_type("i").title)
    assert essential < page.index("Meals during the support") < training
    assert training < page.index("Vocational training support")
    assert "60,000 ₫ a day" in page
    assert "at most 120 days" in page
    assert "3 × standard level" in page
    assert "1,500,000 ₫ at the level in force today" in page
    hardship = page[page.index("Initial-hardship allowance") :]
    assert hardship.index("National") < hardship.index(make.province("NA").name_en)
    assert "4,000,000 ₫" in hardship
    assert "decided within 9 working days" in hardship


def test_the_kinds_page_takes_as_many_queries_however_many_kinds_and_rules(
    client, admin, make, count_queries
):
    client.get("/admin/policy/kinds/")
    with count_queries() as few:
        client.get("/admin/policy/kinds/")
    for number in range(3):
        extra = new_kind(f"EXTRA{number}", letter="e")
        rule(extra, Method.FIXED, date(2026, 1, 1), amount=100_000)
        rule(extra, Method.PER_DAY, date(2026, 1, 1), amount=9_000, province_id=number + 1)
    db.session.commit()

    with count_queries() as many:
        page = client.get("/admin/policy/kinds/").get_data(as_text=True)

    assert "Allowance EXTRA2" in page
    assert many.count == few.count


def test_a_new_kind_is_stored_with_its_code_in_capitals(client, admin):
    response = client.post("/admin/policy/kinds/new", data=kind_form(code="transport_home"))

    made = kind("TRANSPORT_HOME")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/policy/kinds/{made.id}")
    assert (made.support_type.letter, made.name_en, made.decision_days) == (
        "e",
        "Travel home",
        None,
    )
    assert made.active is True


def test_a_kind_code_already_taken_is_refused_whatever_its_case(client, admin):
    before = count(AllowanceKind)

    response = client.post("/admin/policy/kinds/new", data=kind_form(code="meals"))

    assert field_errors(response, "code") == ["Another allowance kind has the code MEALS."]
    assert count(AllowanceKind) == before


@pytest.mark.parametrize(
    ("fields", "name", "message"),
    [
        ({"decision_days": "0"}, "decision_days", "Between 1 and 60 working days"),
        ({"decision_days": "61"}, "decision_days", "Between 1 and 60 working days"),
        ({"code": "with space"}, "code", "Letters, digits and underscores only."),
        ({"support_type": ""}, "support_type", "This field is required."),
        ({"support_type": "99999"}, "support_type", "Not a valid choice."),
        ({"name_vi": ""}, "name_vi", "This field is required."),
        ({"name_en": ""}, "name_en", "This field is required."),
    ],
)
def test_a_kind_with_bad_input_is_refused_beside_the_field(client, admin, fields, name, message):
    before = count(AllowanceKind)

    response = client.post("/admin/policy/kinds/new", data=kind_form(**fields))

    assert response.status_code == 200
    assert field_errors(response, name)[0].startswith(message)
    assert count(AllowanceKind) == before


def test_a_kind_is_edited_and_keeps_its_code(client, admin):
    meals = kind("MEALS")

    response = client.post(
        f"/admin/policy/kinds/{meals.id}",
        data=kind_form(
            code="OTHER",
            support_type=str(meals.support_type_id),
            name_en="Meals",
            decision_days="5",
            active="",
        ),
    )

    assert response.status_code == 302
    meals = reload(meals)
    assert (meals.code, meals.name_en, meals.decision_days, meals.active) == (
        "MEALS",
        "Meals",
        5,
        False,
    )


def test_a_kind_already_used_keeps_its_support_type(client, admin, make, world):
    request(make, world.cases["here"], "HARDSHIP")
    db.session.commit()
    hardship = kind("HARDSHIP")

    response = client.post(
        f"/admin/policy/kinds/{hardship.id}",
        data=kind_form(support_type=str(support_type("a").id), name_en="Hardship"),
    )

    assert field_errors(response, "support_type")[0].startswith(
        "Allowances of this kind are already recorded under k)"
    )
    assert reload(hardship).support_type.letter == "k"
    assert reload(hardship).name_en == "Initial-hardship allowance"


# Rules of a kind


def test_a_province_rule_is_added_beside_the_national_one(client, admin, make):
    hardship, province = kind("HARDSHIP"), make.province("NA")

    response = client.post(
        f"/admin/policy/kinds/{hardship.id}/rules/new",
        data=rule_form(
            province=str(province.id), amount="4.000.000", max_times="1", valid_from="01/01/2026"
        ),
    )

    assert response.status_code == 302
    added = db.session.scalar(select(AllowanceRule).where(AllowanceRule.province_id == province.id))
    assert (added.kind_id, added.amount, added.max_times) == (hardship.id, 4_000_000, 1)
    assert (added.valid_from, added.valid_to) == (date(2026, 1, 1), None)
    assert national("HARDSHIP").valid_to is None


@pytest.mark.parametrize("written", ["1,5", "1.5", "1.50"])
def test_a_coefficient_is_read_with_a_comma_or_a_point(client, admin, written):
    extra = new_kind("EXTRA")
    db.session.commit()

    client.post(
        f"/admin/policy/kinds/{extra.id}/rules/new",
        data=rule_form(method="coefficient", coefficient=written, valid_from="01/01/2026"),
    )

    assert reload(extra).rules[0].coefficient == Decimal("1.5")


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("1.555", "At most two decimals, for example 1,25."),
        ("0", "The coefficient must be more than 0 and below 10.000."),
        ("10000", "The coefficient must be more than 0 and below 10.000."),
        ("one", "Write a number such as 1,5 or 2."),
        ("-1", "Write a number such as 1,5 or 2."),
    ],
)
def test_a_coefficient_that_cannot_be_used_is_refused_beside_it(client, admin, written, message):
    extra = new_kind("EXTRA")
    db.session.commit()

    response = client.post(
        f"/admin/policy/kinds/{extra.id}/rules/new",
        data=rule_form(method="coefficient", coefficient=written, valid_from="01/01/2026"),
    )

    assert field_errors(response, "coefficient") == [message]
    assert reload(extra).rules == []


@pytest.mark.parametrize(
    ("fields", "name", "message"),
    [
        ({"method": "fixed"}, "amount", "Give the amount in dong."),
        ({"method": "per_day"}, "amount", "Give the amount in dong."),
        (
            {"method": "fixed", "amount": "1000", "coefficient": "2"},
            "coefficient",
            "Only a coefficient rule has a coefficient.",
        ),
        ({"method": "coefficient"}, "coefficient", "Give the coefficient."),
        (
            {"method": "coefficient", "coefficient": "2", "amount": "1000"},
            "amount",
            "A coefficient rule has no amount: it multiplies the standard level.",
        ),
        (
            {"method": "fixed", "amount": "1000", "max_days": "30"},
            "max_days",
            "Only a rule per day has a maximum number of days.",
        ),
        ({"method": "fixed", "amount": "0"}, "amount", "The amount must be more than 0 dong."),
        ({"method": "bonus", "amount": "1000"}, "method", "Not a valid choice."),
        ({"method": "fixed", "amount": "1000", "max_times": "0"}, "max_times", "Number must be"),
        ({"method": "fixed", "amount": "1000", "province": "99999"}, "province", "Not a valid"),
        ({"method": "fixed", "amount": "1000", "valid_from": ""}, "valid_from", "This field"),
        (
            {"method": "fixed", "amount": "1000", "valid_to": "31/12/2025"},
            "valid_to",
            "The end date cannot come before the start (01/01/2026).",
        ),
    ],
)
def test_figures_that_do_not_fit_the_rule_are_refused_beside_the_field(
    client, admin, fields, name, message
):
    extra = new_kind("EXTRA")
    db.session.commit()

    response = client.post(
        f"/admin/policy/kinds/{extra.id}/rules/new",
        data=rule_form(**{"valid_from": "01/01/2026", **fields}),
    )

    assert response.status_code == 200
    assert field_errors(response, name)[0].startswith(message)
    assert reload(extra).rules == []


def test_a_new_rule_starting_inside_an_open_ended_rule_ends_it_the_day_before(client, admin):
    hardship = kind("HARDSHIP")

    response = client.post(
        f"/admin/policy/kinds/{hardship.id}/rules/new",
        data=rule_form(amount="3.500.000", max_times="1", valid_from="01/07/2026"),
        follow_redirects=True,
    )

    assert (
        "The rule is saved. The earlier rule in force from 01/07/2025 now ends on 30/06/2026."
        in text_of(response)
    )
    rules = reload(hardship).rules
    assert [(r.valid_from, r.valid_to, r.amount) for r in rules] == [
        (date(2025, 7, 1), date(2026, 6, 30), 3_000_000),
        (date(2026, 7, 1), None, 3_500_000),
    ]


def test_a_rule_overlapping_a_rule_with_an_end_date_is_refused_naming_its_dates(client, admin):
    extra = new_kind("EXTRA")
    rule(extra, Method.FIXED, date(2026, 1, 1), date(2026, 6, 30), amount=100_000)
    rule(extra, Method.FIXED, date(2026, 7, 1), amount=120_000)
    db.session.commit()

    response = client.post(
        f"/admin/policy/kinds/{extra.id}/rules/new",
        data=rule_form(amount="110000", valid_from="01/03/2026", valid_to="30/04/2026"),
    )

    assert field_errors(response, "valid_from") == [
        "These dates overlap the rule in force from 01/01/2026 to 30/06/2026. Change the "
        "dates, or change that rule first."
    ]
    assert len(reload(extra).rules) == 2


def test_a_rule_running_into_a_later_open_ended_rule_is_refused(client, admin):
    extra = new_kind("EXTRA")
    rule(extra, Method.FIXED, date(2026, 7, 1), amount=120_000)
    db.session.commit()

    response = client.post(
        f"/admin/policy/kinds/{extra.id}/rules/new",
        data=rule_form(amount="110000", valid_from="01/01/2026"),
    )

    assert field_errors(response, "valid_from") == [
        "These dates overlap the rule in force from 01/07/2026 with no end date. Change the "
        "dates, or end that rule first."
    ]
    assert [r.valid_to for r in reload(extra).rules] == [None]


def test_a_province_rule_leaves_the_national_rule_and_other_provinces_alone(client, admin, make):
    hardship = kind("HARDSHIP")
    other = rule(hardship, Method.FIXED, date(2026, 1, 1), amount=2_000_000, province_id=2)
    db.session.commit()

    client.post(
        f"/admin/policy/kinds/{hardship.id}/rules/new",
        data=rule_form(
            province=str(make.province("NA").id), amount="4000000", valid_from="01/04/2026"
        ),
    )

    assert national("HARDSHIP").valid_to is None
    assert reload(other).valid_to is None
    assert len(reload(hardship).rules) == 3


def test_a_used_rule_shows_only_its_end_date_and_nothing_else_changes(client, admin, make, world):
    request(make, world.cases["here"], "HARDSHIP")
    db.session.commit()
    used = national("HARDSHIP")

    page = client.get(f"/admin/policy/rules/{used.id}").get_data(as_text=True)
    response = client.post(
        f"/admin/policy/rules/{used.id}",
        data=rule_form(
            method="per_day", amount="1", valid_from="01/01/2020", valid_to="31/12/2026"
        ),
    )

    assert 'name="valid_to"' in page
    assert 'name="amount"' not in page
    assert 'name="method"' not in page
    assert "/delete" not in page
    assert response.status_code == 302
    used = reload(used)
    assert (used.method, used.amount, used.valid_from) == (
        Method.FIXED,
        3_000_000,
        date(2025, 7, 1),
    )
    assert used.valid_to == date(2026, 12, 31)


def test_a_used_rule_cannot_end_before_the_last_day_an_allowance_covers(client, admin, make, world):
    request(make, world.cases["here"], "MEALS", start=date(2026, 3, 12), end=date(2026, 3, 14))
    db.session.commit()
    meals = national("MEALS")

    refused = client.post(f"/admin/policy/rules/{meals.id}", data={"valid_to": "13/03/2026"})
    accepted = client.post(f"/admin/policy/rules/{meals.id}", data={"valid_to": "14/03/2026"})

    assert field_errors(refused, "valid_to") == [
        "Allowances were computed under this rule up to 14/03/2026: it cannot end before that day."
    ]
    assert accepted.status_code == 302
    assert reload(meals).valid_to == date(2026, 3, 14)


def test_a_used_rule_cannot_be_extended_over_a_later_rule(client, admin, make, world):
    request(make, world.cases["here"], "HARDSHIP")
    admin_services.add_rule(
        kind("HARDSHIP"),
        admin_services.RuleTerms(
            None, Method.FIXED, 3_500_000, None, None, 1, date(2026, 7, 1), None
        ),
    )
    db.session.commit()
    used = national("HARDSHIP")

    response = client.post(f"/admin/policy/rules/{used.id}", data={"valid_to": ""})

    assert field_errors(response, "valid_to")[0].startswith(
        "These dates overlap the rule in force from 01/07/2026 with no end date."
    )
    assert reload(used).valid_to == date(2026, 6, 30)


def test_a_new_rule_cannot_end_a_used_rule_before_the_days_it_was_used_for(
    client, admin, make, world
):
    request(make, world.cases["here"], "HARDSHIP")  # for 12/03/2026
    db.session.commit()
    hardship = kind("HARDSHIP")

    refused = client.post(
        f"/admin/policy/kinds/{hardship.id}/rules/new",
        data=rule_form(amount="3500000", valid_from="01/03/2026"),
    )
    accepted = client.post(
        f"/admin/policy/kinds/{hardship.id}/rules/new",
        data=rule_form(amount="3500000", valid_from="13/03/2026"),
    )

    assert field_errors(refused, "valid_from") == [
        "The rule in force from 01/07/2025 was used for allowances up to 12/03/2026: a new rule "
        "may start on 13/03/2026 at the earliest."
    ]
    assert accepted.status_code == 302
    assert [r.valid_to for r in reload(hardship).rules] == [date(2026, 3, 12), None]


def test_a_used_rule_cannot_be_deleted(client, admin, make, world):
    request(make, world.cases["here"], "HARDSHIP")
    db.session.commit()
    used = national("HARDSHIP")

    response = client.post(f"/admin/policy/rules/{used.id}/delete", follow_redirects=True)

    assert form_errors(response) == [
        "An allowance was computed under this rule, so it stays. Set its end date instead."
    ]
    assert reload(used) is not None


def test_the_service_refuses_to_change_the_terms_of_a_used_rule(make, world):
    request(make, world.cases["here"], "HARDSHIP")
    used = national("HARDSHIP")
    terms = admin_services.RuleTerms(
        None, Method.FIXED, 1, None, None, None, date(2025, 7, 1), None
    )

    with pytest.raises(DomainError):
        admin_services.update_rule(used, terms)
    with pytest.raises(DomainError):
        admin_services.delete_rule(used)


def test_an_unused_rule_is_edited_in_full_and_can_be_deleted(client, admin):
    extra = new_kind("EXTRA")
    unused = rule(extra, Method.FIXED, date(2026, 1, 1), amount=100_000)
    db.session.commit()

    page = client.get(f"/admin/policy/rules/{unused.id}").get_data(as_text=True)
    client.post(
        f"/admin/policy/rules/{unused.id}",
        data=rule_form(method="per_day", amount="50000", max_days="30", valid_from="01/02/2026"),
    )
    edited = reload(unused)
    terms = (edited.method, edited.amount, edited.max_days, edited.valid_from)
    deleted = client.post(f"/admin/policy/rules/{unused.id}/delete")

    assert 'name="amount"' in page
    assert 'value="100000"' in page
    assert terms == (Method.PER_DAY, 50_000, 30, date(2026, 2, 1))
    assert deleted.status_code == 302
    assert reload(extra).rules == []


def test_an_edited_rule_does_not_overlap_itself(client, admin):
    extra = new_kind("EXTRA")
    unused = rule(extra, Method.FIXED, date(2026, 1, 1), amount=100_000)
    db.session.commit()

    response = client.post(
        f"/admin/policy/rules/{unused.id}", data=rule_form(amount="90000", valid_from="01/01/2026")
    )

    assert response.status_code == 302
    assert reload(unused).amount == 90_000


# Public holidays


def test_holidays_are_listed_one_year_at_a_time(client, admin):
    this_year = text_of(client.get("/admin/policy/holidays"))
    last_year = text_of(client.get("/admin/policy/holidays?year=2025"))

    assert "Public holidays of 2026" in this_year
    assert "16/02/2026" in this_year
    assert "27/01/2025" not in this_year
    assert "27/01/2025" in last_year
    assert "16/02/2026" not in last_year


def test_a_holiday_is_added_and_deleted(client, admin):
    response = client.post(
        "/admin/policy/holidays",
        data={"day": "01/01/2027", "name_vi": "Tết Dương lịch", "name_en": "New Year's Day"},
    )
    added = db.session.scalar(select(Holiday).where(Holiday.day == date(2027, 1, 1)))

    assert response.headers["Location"].endswith("/admin/policy/holidays?year=2027")
    assert (added.name_vi, added.name_en) == ("Tết Dương lịch", "New Year's Day")

    added_id = added.id
    deleted = client.post(f"/admin/policy/holidays/{added_id}/delete")

    assert deleted.status_code == 302
    assert db.session.scalar(select(Holiday.id).where(Holiday.id == added_id)) is None


@pytest.mark.parametrize(
    ("fields", "name", "message"),
    [
        ({"day": "02/09/2026"}, "day", "02/09/2026 is already listed: “National Day”."),
        ({"day": "2/9"}, "day", "Write the date as dd/mm/yyyy."),
        ({"day": ""}, "day", "This field is required."),
        ({"name_vi": ""}, "name_vi", "This field is required."),
        ({"name_en": ""}, "name_en", "This field is required."),
    ],
)
def test_a_holiday_with_bad_input_is_refused_beside_the_field(client, admin, fields, name, message):
    before = count(Holiday)
    data = {"day": "03/09/2026", "name_vi": "Nghỉ bù", "name_en": "Day off in lieu", **fields}

    response = client.post("/admin/policy/holidays", data=data)

    assert response.status_code == 200
    assert field_errors(response, name) == [message]
    assert count(Holiday) == before


def test_a_year_without_holidays_is_warned_of_until_they_are_listed(client, admin):
    warning = "No public holiday is listed for 2027: decision deadlines will count those days"

    assert warning in text_of(client.get("/admin/policy/holidays"))
    assert warning in text_of(client.get("/admin/policy/"))

    client.post(
        "/admin/policy/holidays",
        data={"day": "01/01/2027", "name_vi": "Tết Dương lịch", "name_en": "New Year's Day"},
    )

    assert warning not in text_of(client.get("/admin/policy/holidays"))
    assert warning not in text_of(client.get("/admin/policy/"))


def test_the_current_year_without_holidays_is_warned_of_too(client, auth, make, frozen_clock):
    frozen_clock.set(date(2028, 1, 10))
    sign_in(auth, make.user(Role.ADMIN))
    in_english(client)

    page = text_of(client.get("/admin/policy/holidays"))

    assert "Public holidays of 2028" in page
    assert "No public holiday is listed for 2028" in page
    assert "No public holiday is listed for 2029" in page
