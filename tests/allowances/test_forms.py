"""Every allowance form with bad input: a clear message next to the field, nothing saved."""

import pytest

from reintegration.allowances.models import Allowance, AllowanceStatus, Payment
from reintegration.auth.models import Role
from reintegration.extensions import db
from reintegration.reference.models import IdentificationStatus
from tests.allowances.helpers import approved, kind, officer, paid, request
from tests.helpers import (
    count,
    field_errors,
    form_errors,
    in_english,
    reload,
    section,
    sign_in,
    text_of,
)


@pytest.fixture
def staff(client, auth, make, world):
    user = sign_in(auth, world.user(make, Role.SHELTER_STAFF))
    in_english(client)
    return user


def _post_request(client, case, **data):
    form = {"kind": kind("HARDSHIP").id, "period_from": "12/03/2026", "applied_on": "13/03/2026"}
    form.update(data)
    return client.post(f"/cases/{case.id}/allowances/new", data=form)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"kind": ""}, "kind", "This field is required."),
        ({"period_from": ""}, "period_from", "This field is required."),
        ({"period_from": "31/02/2026"}, "period_from", "Write the date as dd/mm/yyyy."),
        ({"applied_on": "16/03/2026"}, "applied_on", "This date is in the future."),
        ({"applied_on": "01/03/2026"}, "applied_on", "before the person was received"),
        ({"period_from": "01/03/2026"}, "period_from", "before the person was received"),
        ({"kind": "MEALS"}, "period_to", "Give the last day of the period."),
        (
            {"kind": "MEALS", "period_to": "11/03/2026"},
            "period_to",
            "The period cannot end before it starts.",
        ),
    ],
)
def test_a_request_with_bad_input_is_refused_next_to_the_field(
    client, staff, world, data, field, message
):
    if data.get("kind") in ("MEALS",):
        data["kind"] = kind(data["kind"]).id

    response = _post_request(client, world.cases["here"], **data)

    assert response.status_code == 200
    assert any(message in error for error in field_errors(response, field))
    assert count(Allowance) == 0


def test_a_request_the_person_is_not_entitled_to_names_the_law(client, staff, world):
    case = world.cases["here"]
    case.identification_status = IdentificationStatus.UNDER_IDENTIFICATION_ABROAD
    db.session.commit()

    response = _post_request(client, case)

    assert "not entitled to k)" in field_errors(response, "kind")[0]
    assert "Law 53/2024, Article 37" in field_errors(response, "kind")[0]
    assert count(Allowance) == 0


def test_a_second_initial_hardship_allowance_is_refused_with_the_rule(client, make, staff, world):
    request(make, world.cases["here"])
    db.session.commit()

    response = _post_request(client, world.cases["here"])

    assert "may be given at most 1 time to one person" in field_errors(response, "kind")[0]
    assert count(Allowance) == 1


def test_computing_the_amount_shows_it_and_saves_nothing(client, staff, world):
    response = _post_request(
        client,
        world.cases["here"],
        kind=kind("MEALS").id,
        period_to="14/03/2026",
        preview="1",
    )

    preview = section(response, 'id="preview"', "</div>\n")
    assert "180,000 ₫" in preview
    assert "3 days × 60,000 ₫ (12/03/2026 – 14/03/2026)" in text_of(response)
    assert count(Allowance) == 0


def test_the_case_page_shows_what_is_left_and_the_request(client, make, staff, world):
    request(make, world.cases["here"], "MEALS", end=world.cases["here"].received_on)
    db.session.commit()

    response = client.get(f"/cases/{world.cases['here'].id}")

    limits = section(response, 'id="limits"', "</table>")
    assert "119 more days" in limits
    assert "60,000 ₫ a day" in limits
    assert "Meals during the support" in section(response, 'id="case-allowances"', "</table>")


@pytest.fixture
def deciding(client, auth, make, world):
    user = sign_in(auth, officer(make))
    in_english(client)
    return user


def test_a_decision_needs_a_choice(client, make, world, deciding):
    allowance = request(make, world.cases["here"])
    db.session.commit()

    response = client.post(f"/allowances/{allowance.id}/decision", data={"reason": "ok"})

    assert field_errors(response, "decision") == ["This field is required."]
    assert reload(allowance).status == AllowanceStatus.REQUESTED


def test_a_refusal_needs_a_reason(client, make, world, deciding):
    allowance = request(make, world.cases["here"])
    db.session.commit()

    response = client.post(f"/allowances/{allowance.id}/decision", data={"decision": "refuse"})

    assert field_errors(response, "reason") == ["Say why the request is refused."]
    assert reload(allowance).status == AllowanceStatus.REQUESTED


def test_the_officer_who_requested_cannot_decide_even_by_a_crafted_post(
    client, make, world, deciding
):
    allowance = request(make, world.cases["here"], by=deciding)
    db.session.commit()

    page = text_of(client.get(f"/allowances/{allowance.id}"))
    response = client.post(f"/allowances/{allowance.id}/decision", data={"decision": "approve"})

    assert "another provincial officer decides it" in page
    assert 'name="decision"' not in page
    assert "another provincial officer decides it (four eyes)" in " ".join(form_errors(response))
    assert reload(allowance).status == AllowanceStatus.REQUESTED
    assert reload(allowance).decided_by_id is None


def test_a_paid_allowance_cannot_be_decided_again_by_a_crafted_post(client, make, world, deciding):
    allowance = paid(make, world.cases["here"])
    db.session.commit()

    response = client.post(
        f"/allowances/{allowance.id}/decision", data={"decision": "refuse", "reason": "x"}
    )

    assert "This allowance is “Paid”: it cannot become “Refused”." in form_errors(response)
    assert reload(allowance).status == AllowanceStatus.PAID


def test_a_requested_allowance_cannot_be_paid_by_a_crafted_post(client, make, staff, world):
    allowance = request(make, world.cases["here"])
    db.session.commit()

    response = client.post(
        f"/allowances/{allowance.id}/payment",
        data={"paid_on": "15/03/2026", "method": "cash", "receipt_number": "PC-1"},
    )

    assert "it cannot become “Paid”" in " ".join(form_errors(response))
    assert count(Payment) == 0


def test_an_allowance_is_paid_once(client, make, staff, world):
    allowance = approved(make, world.cases["here"])
    db.session.commit()
    data = {"paid_on": "15/03/2026", "method": "cash", "receipt_number": "PC-1"}

    first = client.post(f"/allowances/{allowance.id}/payment", data=data)
    second = client.post(
        f"/allowances/{allowance.id}/payment", data={**data, "receipt_number": "PC-2"}
    )

    assert first.status_code == 302
    assert "it cannot become “Paid”" in " ".join(form_errors(second))
    assert count(Payment) == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"receipt_number": ""}, "receipt_number", "This field is required."),
        ({"paid_on": "16/03/2026"}, "paid_on", "This date is in the future."),
        ({"paid_on": "15-3"}, "paid_on", "Write the date as dd/mm/yyyy."),
        ({"method": "cheque"}, "method", "Not a valid choice."),
    ],
)
def test_a_payment_with_bad_input_is_refused_next_to_the_field(
    client, make, staff, world, data, field, message
):
    allowance = approved(make, world.cases["here"])
    db.session.commit()
    form = {"paid_on": "15/03/2026", "method": "cash", "receipt_number": "PC-1", **data}

    response = client.post(f"/allowances/{allowance.id}/payment", data=form)

    assert message in field_errors(response, field)
    assert reload(allowance).status == AllowanceStatus.APPROVED


def test_a_receipt_number_is_used_once_per_facility(client, make, staff, world):
    paid(make, world.cases["here"], "CLOTHING", receipt="PC-1")
    allowance = approved(make, world.cases["here"])
    db.session.commit()

    response = client.post(
        f"/allowances/{allowance.id}/payment",
        data={"paid_on": "15/03/2026", "method": "cash", "receipt_number": "PC-1"},
    )

    assert field_errors(response, "receipt_number") == ["The receipt number PC-1 is already used."]
    assert reload(allowance).status == AllowanceStatus.APPROVED


def _correct(client, payment, **data):
    form = {
        "direction": "returned",
        "amount": "500.000",
        "reason": "Chi nhầm",
        "paid_on": "15/03/2026",
        "method": "cash",
        "receipt_number": "PT-1",
        **data,
    }
    return client.post(f"/payments/{payment.id}/correction", data=form)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"amount": "0"}, "amount", "Number must be at least 1."),
        ({"amount": "5,5"}, "amount", "Write a whole amount in dong, for example 1.500.000."),
        ({"reason": ""}, "reason", "This field is required."),
        ({"direction": ""}, "direction", "This field is required."),
        (
            {"amount": "3.000.001"},
            "amount",
            "A correction cannot take back more than was paid for this allowance.",
        ),
        ({"receipt_number": "PC-0001"}, "receipt_number", "is already used"),
    ],
)
def test_a_correction_with_bad_input_is_refused_next_to_the_field(
    client, make, staff, world, data, field, message
):
    allowance = paid(make, world.cases["here"], receipt="PC-0001")
    db.session.commit()

    response = _correct(client, allowance.payments[0], **data)

    assert any(message in error for error in field_errors(response, field))
    assert count(Payment) == 1


def test_a_correction_is_linked_to_the_payment_and_both_stay(client, make, staff, world):
    allowance = paid(make, world.cases["here"])
    db.session.commit()
    original = allowance.payments[0]

    _correct(client, original)

    allowance = reload(allowance)
    assert [p.amount for p in allowance.payments] == [3_000_000, -500_000]
    assert allowance.payments[1].corrects_id == original.id
    assert allowance.amount == 3_000_000
    assert allowance.status == AllowanceStatus.PAID
    page = text_of(client.get(f"/allowances/{allowance.id}"))
    assert "Correction of receipt PC-001: Chi nhầm" in page
    assert "2,500,000 ₫" in page


def test_a_correction_cannot_be_corrected(client, make, staff, world):
    allowance = paid(make, world.cases["here"])
    db.session.commit()
    _correct(client, allowance.payments[0])
    correction = reload(allowance).payments[1]

    response = _correct(client, correction, receipt_number="PT-2")

    assert "Correct the original payment, not a correction." in form_errors(response)
    assert count(Payment) == 2


def _register(client, world, **data):
    return client.post(
        f"/facilities/{world.facilities['here'].id}/payment-register",
        data={"paid_on": "15/03/2026", "method": "bank_transfer", **data},
    )


def test_the_register_pays_the_chosen_allowances_at_once(client, make, staff, world):
    first = approved(make, world.cases["here"])
    second = approved(make, world.cases["here"], "CLOTHING")
    db.session.commit()

    response = _register(
        client,
        world,
        allowance=[first.id, second.id],
        **{f"receipt_{first.id}": "CK-1", f"receipt_{second.id}": "CK-2"},
    )

    assert response.status_code == 302
    assert reload(first).status == reload(second).status == AllowanceStatus.PAID
    assert "2 payments are recorded." in text_of(client.get(response.location))


def test_the_register_pays_nothing_when_one_row_lacks_its_receipt(client, make, staff, world):
    first = approved(make, world.cases["here"])
    second = approved(make, world.cases["here"], "CLOTHING")
    db.session.commit()

    response = _register(
        client, world, allowance=[first.id, second.id], **{f"receipt_{first.id}": "CK-1"}
    )

    assert "Give the receipt number." in text_of(response)
    assert "Nothing was paid." in text_of(response)
    assert count(Payment) == 0
    assert reload(first).status == AllowanceStatus.APPROVED


def test_the_register_refuses_one_receipt_number_for_two_payments(client, make, staff, world):
    first = approved(make, world.cases["here"])
    second = approved(make, world.cases["here"], "CLOTHING")
    db.session.commit()

    response = _register(
        client,
        world,
        allowance=[first.id, second.id],
        **{f"receipt_{first.id}": "CK-1", f"receipt_{second.id}": "CK-1"},
    )

    assert "CK-1 is given twice" in " ".join(form_errors(response))
    assert count(Payment) == 0


def test_the_register_asks_for_a_choice(client, make, staff, world):
    approved(make, world.cases["here"])
    db.session.commit()

    response = _register(client, world)

    assert "Choose at least one allowance to pay." in form_errors(response)
    assert count(Payment) == 0


def test_the_register_lists_the_allowances_of_the_period_only(client, make, staff, world):
    march = approved(make, world.cases["here"])
    db.session.commit()

    page = client.get(
        f"/facilities/{world.facilities['here'].id}/payment-register?start=01/04/2026&end=30/04/2026"
    )

    assert f'value="{march.id}"' not in text_of(page)
    assert "No approved allowance is waiting for payment in this period." in text_of(page)


def test_a_cancellation_needs_a_reason_and_gives_the_limit_back(client, make, staff, world):
    allowance = request(make, world.cases["here"])
    db.session.commit()

    refused = client.post(f"/allowances/{allowance.id}/cancel", data={"reason": ""})
    done = client.post(f"/allowances/{allowance.id}/cancel", data={"reason": "Trùng hồ sơ"})

    assert field_errors(refused, "reason") == ["This field is required."]
    assert done.status_code == 302
    assert reload(allowance).status == AllowanceStatus.CANCELLED
    assert _post_request(client, world.cases["here"]).status_code == 302
