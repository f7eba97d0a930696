"""A value a user typed is shown as text inside a translated message, never as HTML."""

from reintegration.auth.models import Role
from reintegration.extensions import db
from tests.allowances.helpers import approved, paid
from tests.helpers import in_english, sign_in

TYPED = '<a href="/evil">PC-1</a>'


def test_a_receipt_number_already_used_is_named_as_typed_not_as_html(client, auth, make, world):
    sign_in(auth, world.user(make, Role.SHELTER_STAFF))
    in_english(client)
    paid(make, world.cases["here"], "CLOTHING", receipt=TYPED)
    allowance = approved(make, world.cases["here"])
    db.session.commit()

    response = client.post(
        f"/allowances/{allowance.id}/payment",
        data={"paid_on": "15/03/2026", "method": "cash", "receipt_number": TYPED},
    )

    page = response.get_data(as_text=True)
    assert (
        "The receipt number &lt;a href=&#34;/evil&#34;&gt;PC-1&lt;/a&gt; is already used." in page
    )
    assert TYPED not in page
