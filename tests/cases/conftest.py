import pytest

from reintegration.reference.models import ListKind


@pytest.fixture
def intake(make):
    """The fields of a complete intake form, as a browser posts them; keywords override."""

    def form(facility=None, **overrides) -> dict:
        data = {
            "facility": str(facility.id) if facility else "",
            "full_name": "Trần Thị Lan",
            "sex": "female",
            "date_of_birth": "17/05/2001",
            "estimated_age": "",
            "home_province": str(make.province("NA").id),
            "home_commune": "",
            "return_route": str(make.item(ListKind.RETURN_ROUTE, "HANDOVER").id),
            "receiving_agency": "Đồn Biên phòng cửa khẩu Nậm Cắn",
            "received_on": "12/03/2026",
            "identification_status": "identified",
            "consent": "given",
            "consent_date": "12/03/2026",
            "consent_storage": "y",
        }
        data.update(overrides)
        return {key: value for key, value in data.items() if value is not None}

    return form
