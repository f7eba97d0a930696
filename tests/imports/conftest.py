import pytest

from reintegration.auth.models import Role
from tests.cases.helpers import sign_in


@pytest.fixture(autouse=True)
def import_folder(app, tmp_path, monkeypatch):
    """Previews waiting for confirmation go to a folder of the test's own."""
    folder = tmp_path / "imports"
    monkeypatch.setitem(app.config, "IMPORT_FOLDER", str(folder))
    return folder


@pytest.fixture
def facility(make):
    return make.facility("NA", code="NA-SWC", name="Trung tâm Công tác xã hội Nghệ An")


@pytest.fixture
def commune(make):
    return make.commune(make.province("NA"), name="Xã Nghi Lộc")


@pytest.fixture
def staff(make, auth, facility):
    return sign_in(auth, make.user(Role.SHELTER_STAFF, facility=facility))
