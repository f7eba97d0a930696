"""Planning a discharge: when the person is expected to leave and where to."""

from datetime import date

from reintegration.auth.models import Role
from reintegration.reference.models import ListKind
from tests.helpers import field_errors, form_errors, reload, sign_in, text_of


def _plan(client, make, stay, on="30/04/2026", destination="HOME"):
    data = {"discharge_planned_on": on}
    if destination:
        data["planned_destination"] = make.item(ListKind.DESTINATION, destination).id
    return client.post(f"/stays/{stay.id}/discharge-plan", data=data)


def _unplanned(stay) -> bool:
    stored = reload(stay)
    return stored.discharge_planned_on is None and stored.planned_destination_id is None


def test_the_plan_keeps_the_date_and_the_destination(client, make, staff, stay):
    response = _plan(client, make, stay, on="30/04/2026", destination="HOME")

    stored = reload(stay)
    assert response.status_code == 302
    assert stored.discharge_planned_on == date(2026, 4, 30)
    assert stored.planned_destination.code == "HOME"
    assert stored.discharged_on is None


def test_the_plan_is_shown_on_the_case_page(client, make, staff, stay):
    _plan(client, make, stay, on="30/04/2026", destination="HOME")

    page = text_of(client.get(f"/cases/{stay.case_id}"))

    assert "The discharge is planned." in page
    assert "Discharge planned for 30/04/2026 · Home with family" in page


def test_the_case_page_offers_to_plan_the_discharge(client, staff, stay):
    page = text_of(client.get(f"/cases/{stay.case_id}"))

    assert f'href="/stays/{stay.id}/discharge-plan"' in page
    assert "Plan the discharge" in page


def test_a_new_plan_replaces_the_previous_one(client, make, staff, stay):
    _plan(client, make, stay, on="30/04/2026", destination="HOME")

    _plan(client, make, stay, on="05/05/2026", destination="FACILITY")

    stored = reload(stay)
    assert stored.discharge_planned_on == date(2026, 5, 5)
    assert stored.planned_destination.code == "FACILITY"


def test_the_plan_page_shows_the_saved_plan(client, make, staff, stay):
    _plan(client, make, stay, on="30/04/2026", destination="HOME")
    home = make.item(ListKind.DESTINATION, "HOME")

    page = client.get(f"/stays/{stay.id}/discharge-plan").get_data(as_text=True)

    assert 'value="30/04/2026"' in page
    assert f'<option selected value="{home.id}">' in page


def test_the_plan_may_fall_on_the_last_day_of_the_legal_limit(client, make, staff, stay):
    response = _plan(client, make, stay, on="08/07/2026")

    assert response.status_code == 302
    assert reload(stay).discharge_planned_on == date(2026, 7, 8)


def test_a_plan_without_a_date_is_refused(client, make, staff, stay):
    response = _plan(client, make, stay, on="")

    assert response.status_code == 200
    assert field_errors(response, "discharge_planned_on") == ["This field is required."]
    assert _unplanned(stay)


def test_a_plan_without_a_destination_is_refused(client, make, staff, stay):
    response = _plan(client, make, stay, destination=None)

    assert field_errors(response, "planned_destination")
    assert _unplanned(stay)


def test_a_plan_before_admission_is_refused(client, make, staff, stay):
    response = _plan(client, make, stay, on="09/03/2026")

    assert field_errors(response, "discharge_planned_on") == [
        "Discharge cannot come before admission (10/03/2026)."
    ]
    assert _unplanned(stay)


def test_a_plan_past_the_legal_limit_is_refused(client, make, staff, stay):
    response = _plan(client, make, stay, on="09/07/2026")

    [message] = field_errors(response, "discharge_planned_on")
    assert "at most 120 days" in message
    assert "08/07/2026" in message
    assert _unplanned(stay)


def test_a_discharged_stay_cannot_be_planned(client, make, staff, stay):
    home = make.item(ListKind.DESTINATION, "HOME")
    client.post(
        f"/stays/{stay.id}/discharge",
        data={"discharged_on": "14/03/2026", "destination": home.id, "destination_address": "Xã"},
    )

    response = _plan(client, make, stay, on="30/04/2026")

    assert response.status_code == 200
    assert "This stay has ended." in form_errors(response)
    assert _unplanned(stay)


def test_the_discharge_form_starts_from_the_plan(client, make, staff, stay):
    _plan(client, make, stay, on="14/03/2026", destination="FACILITY")
    facility = make.item(ListKind.DESTINATION, "FACILITY")

    page = client.get(f"/stays/{stay.id}/discharge").get_data(as_text=True)

    assert 'value="14/03/2026"' in page
    assert f'<option selected value="{facility.id}">' in page


def test_the_discharge_form_starts_today_when_the_plan_is_still_ahead(client, make, staff, stay):
    _plan(client, make, stay, on="30/04/2026")

    page = client.get(f"/stays/{stay.id}/discharge").get_data(as_text=True)

    assert 'value="15/03/2026"' in page


# --- who may plan ------------------------------------------------------------------------------


def test_shelter_staff_of_another_facility_get_404(client, make, auth, stay):
    sign_in(auth, make.user(Role.SHELTER_STAFF, facility=make.facility("NA")))

    assert client.get(f"/stays/{stay.id}/discharge-plan").status_code == 404
    assert _plan(client, make, stay).status_code == 404
    assert _unplanned(stay)


def test_a_trainer_is_refused_like_on_the_other_stay_pages(client, make, auth, stay):
    sign_in(auth, make.user(Role.TRAINER))

    assert client.get(f"/stays/{stay.id}/discharge-plan").status_code == 403
    assert _plan(client, make, stay).status_code == 403
    assert _unplanned(stay)


def test_a_case_worker_in_scope_is_refused(client, make, auth, stay):
    sign_in(auth, make.user(Role.CASE_WORKER, province="NA"))

    assert client.get(f"/cases/{stay.case_id}").status_code == 200
    assert client.get(f"/stays/{stay.id}/discharge-plan").status_code == 403
    assert _plan(client, make, stay).status_code == 403
    assert _unplanned(stay)


def test_a_case_worker_is_not_offered_to_plan_the_discharge(client, make, auth, stay):
    sign_in(auth, make.user(Role.CASE_WORKER, province="NA"))

    page = text_of(client.get(f"/cases/{stay.case_id}"))

    assert "discharge-plan" not in page
