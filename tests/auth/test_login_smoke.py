from reintegration.auth.models import Role


def test_staff_member_logs_in_and_sees_the_home_page(client, make, auth):
    facility = make.facility()
    staff = make.user(Role.SHELTER_STAFF, facility=facility, full_name="Lê Thu")

    response = auth.login(staff)

    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "Lê Thu" in page
