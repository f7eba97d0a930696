"""No lost update: a form read before someone else saved the same record changes nothing, and
shows who changed what and when, with the user's own values kept; sent again, it saves."""

from datetime import date

import pytest

from reintegration.auth.models import Role
from reintegration.extensions import db
from tests.helpers import in_english, reload, sign_in, text_of
from tests.versions.helpers import conflict_box, version_on

# The stored values that the intake form of tests/cases/conftest.py sends unchanged.
AS_THE_FORM_SHOWS = dict(
    full_name="Trần Thị Lan",
    date_of_birth=date(2001, 5, 17),
    receiving_agency="Đồn Biên phòng cửa khẩu Nậm Cắn",
)


@pytest.fixture
def colleagues(app, make, facility, auth):
    """Two shelter staff of the same facility, each signed in in a browser of their own."""
    first = make.user(Role.SHELTER_STAFF, facility=facility, full_name="Lê Văn An")
    second = make.user(Role.SHELTER_STAFF, facility=facility, full_name="Phạm Thị Bình")
    other_browser = app.test_client()
    for browser, user in ((auth.client, first), (other_browser, second)):
        sign_in(type(auth)(browser), user)
        in_english(browser)
    return auth.client, other_browser


def test_an_older_case_form_loses_nothing_and_shows_who_changed_what(
    colleagues, make, facility, intake, frozen_clock
):
    a, b = colleagues
    case = make.case(facility, home_address="Xóm 1", **AS_THE_FORM_SHOWS)
    db.session.commit()
    url = f"/cases/{case.id}/edit"
    read_by_a, read_by_b = version_on(a.get(url)), version_on(b.get(url))
    assert read_by_a == read_by_b

    frozen_clock.advance(minutes=7)
    a_form = intake(
        facility, home_address="Xóm 5", receiving_agency="Công an tỉnh", version=read_by_a
    )
    assert a.post(url, data=a_form).status_code == 302

    b_form = intake(facility, home_address="Xóm 1", phone="0987 654 321", version=read_by_b)
    refused = b.post(url, data=b_form)

    assert refused.status_code == 200
    box = conflict_box(refused)
    assert "Lê Văn An" in box
    assert "15/03/2026 09:07" in box  # Vietnam's time, as on every page
    assert "Home address : changed (value not kept)" in box  # the audit log keeps no address
    assert "Receiving agency : Đồn Biên phòng cửa khẩu Nậm Cắn → Công an tỉnh" in box
    assert "Phone" not in box
    page = text_of(refused)
    assert 'value="0987 654 321"' in page  # B's own values are still in the form
    stored = reload(case)
    assert (stored.home_address, stored.receiving_agency) == ("Xóm 5", "Công an tỉnh")
    assert stored.phone == ""
    assert version_on(refused) == str(stored.version)

    merged = b.post(
        url,
        data={**a_form, "phone": "0987 654 321", "version": version_on(refused)},
    )

    assert merged.status_code == 302
    stored = reload(case)
    assert (stored.home_address, stored.phone) == ("Xóm 5", "0987 654 321")
