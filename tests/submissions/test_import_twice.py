"""An import confirmed twice (a double click on "Import") brings the cases in once."""

from reintegration.auth.models import Role
from reintegration.cases.models import Case
from tests.helpers import count, in_english, sign_in, text_of
from tests.imports.helpers import people, token_of, upload, workbook
from tests.submissions.helpers import ALREADY_SAVED, filled, flashed, sent_twice


def test_an_import_confirmed_twice_imports_once_and_shows_the_cases(client, make, auth):
    facility = make.facility("NA", code="NA-SWC", name="Trung tâm Công tác xã hội Nghệ An")
    sign_in(auth, make.user(Role.SHELTER_STAFF, facility=facility))
    in_english(client)
    preview = f"/imports/{token_of(upload(client, workbook(people(3)), facility))}"
    data = filled(client, preview)

    first, second, shown = sent_twice(client, preview, data)

    assert first.status_code == second.status_code == 302
    assert second.location == first.location == "/cases/"
    assert count(Case) == 3
    assert ALREADY_SAVED in flashed(shown)
    assert "Nguyễn Thị Thử 003" in text_of(shown)
