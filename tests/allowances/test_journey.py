"""The journey of one allowance through the pages: requested by the shelter, decided by the
province, paid through the facility's register, corrected, and the totals agreeing."""

from datetime import date

from sqlalchemy import func, select

from reintegration.allowances.models import Allowance, AllowanceStatus, Payment
from reintegration.auth.models import Role
from reintegration.extensions import db
from tests.allowances.helpers import kind, officer
from tests.helpers import count, in_english, section, sign_in, text_of


def _request(client, case, code="HARDSHIP", **data):
    form = {
        "kind": kind(code).id,
        "period_from": "12/03/2026",
        "applied_on": "13/03/2026",
        "documents": "Mẫu 07",
        **data,
    }
    return client.post(f"/cases/{case.id}/allowances/new", data=form)


def test_an_allowance_goes_from_request_to_payment_and_the_totals_agree(client, auth, make, world):
    case = world.cases["here"]
    staff = make.user(Role.SHELTER_STAFF, facility=world.facilities["here"])
    deciding = officer(make)
    sign_in(auth, staff)

    response = _request(client, case)
    assert response.status_code == 302
    allowance = db.session.scalar(select(Allowance).where(Allowance.case_id == case.id))
    assert allowance.amount == 3_000_000
    # 13/03/2026 is a Friday: nine working days later is Thursday 26/03/2026.
    assert allowance.decision_due_on == date(2026, 3, 26)
    auth.logout()

    sign_in(auth, deciding)
    in_english(client)
    waiting = text_of(client.get("/allowances/"))
    assert case.code in waiting
    assert "26/03/2026" in waiting
    response = client.post(f"/allowances/{allowance.id}/decision", data={"decision": "approve"})
    assert response.status_code == 302
    auth.logout()

    sign_in(auth, staff)
    register = f"/facilities/{world.facilities['here'].id}/payment-register"
    assert case.code in text_of(client.get(register))
    response = client.post(
        register,
        data={
            "allowance": allowance.id,
            f"receipt_{allowance.id}": "PC-0001",
            "paid_on": "15/03/2026",
            "method": "cash",
        },
    )
    assert response.status_code == 302
    payment = db.session.scalar(select(Payment).where(Payment.allowance_id == allowance.id))
    assert db.session.get(Allowance, allowance.id).status == AllowanceStatus.PAID

    response = client.post(
        f"/payments/{payment.id}/correction",
        data={
            "direction": "returned",
            "amount": "500.000",
            "reason": "Chi nhầm số tiền",
            "paid_on": "15/03/2026",
            "method": "cash",
            "receipt_number": "PT-0001",
        },
    )
    assert response.status_code == 302
    auth.logout()

    rows = db.session.scalar(select(func.sum(Payment.amount)))
    assert rows == 2_500_000
    sign_in(auth, deciding)
    in_english(client)
    case_page = client.get(f"/cases/{case.id}")
    assert "2,500,000 ₫" in section(case_page, 'id="case-total-paid"', "</th>")
    officer_page = client.get("/allowances/?year=2026")
    assert "2,500,000 ₫" in section(officer_page, 'id="total-paid"', "</strong>")
    assert "2,500,000 ₫" in section(officer_page, 'id="by-type"', "</table>")
    assert "2,500,000 ₫" in section(officer_page, 'id="by-month"', "</table>")
    assert "2,500,000 ₫" in section(officer_page, 'id="by-facility"', "</table>")
    assert count(Payment) == 2


def test_every_step_of_an_allowance_is_in_the_audit_log(make, world):
    from reintegration.allowances import services
    from reintegration.allowances.models import PaymentMethod
    from reintegration.audit.models import Action, AuditEntry
    from tests.allowances.helpers import request

    case = world.cases["here"]
    allowance = request(make, case)
    db.session.commit()
    services.decide(allowance, True, "", officer(make))
    db.session.commit()
    payer = make.user(Role.SHELTER_STAFF, facility=case.facility)
    services.pay(allowance, date(2026, 3, 15), PaymentMethod.CASH, "PC-1", payer)
    db.session.commit()

    entries = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.entity == "allowances", AuditEntry.entity_id == allowance.id)
        .order_by(AuditEntry.id)
    ).all()
    steps = [(entry.action, entry.changes.get("status")) for entry in entries]
    assert steps == [
        (Action.CREATE, "requested"),
        (Action.UPDATE, ["requested", "approved"]),
        (Action.UPDATE, ["approved", "paid"]),
    ]
    assert all(entry.case_id == case.id for entry in entries)
