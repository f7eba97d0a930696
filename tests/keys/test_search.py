"""The case list still finds encrypted names: any word in any order, with or without
diacritics, prefixes of two letters or more, code digits and phone numbers."""

import pytest

from reintegration.casefile.queries import CaseFilters, search_cases
from reintegration.extensions import db
from tests.helpers import sign_in


@pytest.fixture
def people(make):
    facility = make.facility()
    dao = make.case(facility, full_name="Nguyễn Thị Đào", phone="0912 345 678")
    lan = make.case(facility, full_name="Trần Thị Lan Anh", phone="")
    mai = make.case(facility, full_name="Lò Văn Mai")
    db.session.flush()
    return {"dao": dao, "lan": lan, "mai": mai}


def _found(user, text: str, people) -> set[str]:
    page = search_cases(user, CaseFilters(q=text), 1, 50)
    ids = {case.id for case, _stay in page.rows}
    return {name for name, case in people.items() if case.id in ids}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Nguyễn Thị Đào", {"dao"}),
        ("dao nguyen", {"dao"}),  # any order, no diacritics
        ("ĐÀO", {"dao"}),
        ("ngu", {"dao"}),  # a prefix
        ("ng th", {"dao"}),  # prefixes of two words
        ("thi", {"dao", "lan"}),
        ("lan anh tran", {"lan"}),
        ("an", {"lan"}),  # begins "Anh"
        ("guyen", set()),  # the middle of a word is not a prefix
        ("v", set()),  # one letter is no prefix ("Văn" is not found by it)
        ("mai van lo", {"mai"}),
        ("nguyen mai", set()),  # every word must match
        ("0912345678", {"dao"}),  # a phone, exactly
        ("0912 345 678", {"dao"}),
        ("+84 912 345 678", {"dao"}),
        ("912345", set()),  # part of a phone number finds nothing
    ],
)
def test_a_name_or_phone_typed_in_any_form_finds_the_person(make, people, typed, expected):
    from reintegration.auth.models import Role

    admin = make.user(Role.ADMIN)

    assert _found(admin, typed, people) == expected


def test_code_digits_and_code_prefixes_find_the_case(make, people):
    from reintegration.auth.models import Role

    admin = make.user(Role.ADMIN)
    code = people["lan"].code  # NA-2026-000N
    number = code.rsplit("-", 1)[1]

    assert _found(admin, number, people) == {"lan"}
    assert _found(admin, code.lower(), people) == {"lan"}
    assert _found(admin, code.rsplit("-", 1)[0], people) == {"dao", "lan", "mai"}


def test_an_edited_name_is_found_by_its_new_words_only(client, make, auth, people):
    from reintegration.auth.models import Role
    from reintegration.cases.services import update_case

    admin = make.user(Role.ADMIN)
    case = people["mai"]
    case.full_name = "Lò Thị Hoa"
    update_case(case, case.facility_id)
    db.session.flush()

    assert _found(admin, "hoa", people) == {"mai"}
    assert _found(admin, "van", people) == set()


def test_the_case_list_page_searches_encrypted_names(client, make, auth, people):
    from reintegration.auth.models import Role

    sign_in(auth, make.user(Role.ADMIN))
    db.session.commit()

    page = client.post("/cases/", data={"q": "dao"}, follow_redirects=True)

    text = page.get_data(as_text=True)
    assert people["dao"].code in text
    assert people["lan"].code not in text
    assert "Nguyễn Thị Đào" in text
