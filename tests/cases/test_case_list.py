"""The case list: search without diacritics, filters, sort, pages, and a fixed number of queries."""

import re
from datetime import date, timedelta

import pytest

from reintegration.auth.models import Role
from reintegration.extensions import db
from reintegration.reference.models import IdentificationStatus
from tests.helpers import in_english, row_of, sign_in, text_of


@pytest.fixture
def admin(make, auth):
    return sign_in(auth, make.user(Role.ADMIN))


def _listed(client, q=None, **query) -> str:
    if q is not None:
        response = client.post("/cases/", data={"q": q, **query}, follow_redirects=True)
    else:
        response = client.get("/cases/", query_string=query)
    assert response.status_code == 200
    return text_of(response)


def _days_ago(days: int) -> date:
    return date(2026, 3, 15) - timedelta(days=days)


def _order(page: str, codes: list[str]) -> list[str]:
    return sorted(codes, key=page.index)


def test_search_without_diacritics_finds_vietnamese_names(client, make, admin):
    nguyen = make.case(full_name="Nguyễn Thị Hoa")
    dao = make.case(full_name="Đào Thị Mơ")
    tran = make.case(full_name="Trần Văn Bình")

    by_nguyen = _listed(client, q="Nguyen")
    by_dao = _listed(client, q="dao")

    assert nguyen.code in by_nguyen
    assert dao.code not in by_nguyen
    assert tran.code not in by_nguyen
    assert dao.code in by_dao
    assert nguyen.code not in by_dao
    assert tran.code not in by_dao


def test_search_with_diacritics_and_part_of_a_name(client, make, admin):
    nguyen = make.case(full_name="Nguyễn Thị Hoa")
    other = make.case(full_name="Trần Văn Bình")

    page = _listed(client, q="thị hoa")

    assert nguyen.code in page
    assert other.code not in page


def test_search_by_code_prefix(client, make, admin):
    nghe_an = [make.case(province="NA"), make.case(province="NA")]
    ha_tinh = make.case(make.facility("HT"))

    by_province = _listed(client, q="ht-2026")
    exact = _listed(client, q=nghe_an[1].code)

    assert ha_tinh.code == "HT-2026-0001"
    assert ha_tinh.code in by_province
    assert not any(case.code in by_province for case in nghe_an)
    assert nghe_an[1].code in exact
    assert nghe_an[0].code not in exact


def test_search_typed_wildcards_match_literally(client, make, admin):
    case = make.case(full_name="Nguyễn Thị Hoa")

    assert case.code not in _listed(client, q="%")
    assert case.code not in _listed(client, q="_")


def test_filter_by_facility(client, make, admin):
    first, second = make.facility(), make.facility()
    here = make.case(first)
    there = make.case(second)

    page = _listed(client, facility=first.id)

    assert here.code in page
    assert there.code not in page


def test_filter_by_stage(client, make, admin, frozen_clock):
    waiting = make.case()
    staying = make.case()
    make.stay(staying)
    db.session.commit()

    in_shelter = _listed(client, stage="in_shelter")
    received = _listed(client, stage="received")

    assert staying.code in in_shelter
    assert waiting.code not in in_shelter
    assert waiting.code in received
    assert staying.code not in received


def test_filter_by_identification_status(client, make, admin):
    identified = make.case()
    abroad = make.case(identification_status=IdentificationStatus.UNDER_IDENTIFICATION_ABROAD)

    page = _listed(client, status="under_identification_abroad")

    assert abroad.code in page
    assert identified.code not in page


@pytest.fixture
def residents(make, admin):
    """Ends of stay on 15 March 2026: 9 days past, 6 days left, 57 days left; one not admitted."""
    facility = make.facility(stay_days=60)

    def resident(admitted_on):
        case = make.case(facility, received_on=admitted_on, consent_date=admitted_on)
        make.stay(case, admitted_on=admitted_on)
        return case

    cases = {
        "overstayed": resident(date(2026, 1, 5)),
        "ending": resident(date(2026, 1, 20)),
        "new": resident(date(2026, 3, 13)),
        "waiting": make.case(facility),
    }
    db.session.commit()
    return cases


def test_filter_overstayed(client, residents):
    page = _listed(client, days="overstayed")

    assert {key for key, case in residents.items() if case.code in page} == {"overstayed"}


def test_filter_ten_days_or_fewer_includes_the_overstayed(client, residents):
    page = _listed(client, days="10")

    assert {key for key, case in residents.items() if case.code in page} == {
        "overstayed",
        "ending",
    }


def test_overstayed_row_is_marked_red(client, residents):
    response = client.get("/cases/")

    assert "table-danger" in row_of(response, residents["overstayed"].code)
    assert "table-danger" not in row_of(response, residents["ending"].code)
    assert "table-danger" not in row_of(response, residents["waiting"].code)


def test_rows_show_the_day_counter_in_english(client, residents):
    in_english(client)

    response = client.get("/cases/")

    assert "Day 70 of 60" in row_of(response, residents["overstayed"].code)
    assert "9 days past the planned end" in row_of(response, residents["overstayed"].code)
    assert "Day 55 of 60" in row_of(response, residents["ending"].code)
    assert "6 days remaining" in row_of(response, residents["ending"].code)


def test_sort_by_days_remaining_puts_the_soonest_end_first(client, residents):
    page = _listed(client, sort="days")

    codes = [residents[key].code for key in ("waiting", "new", "ending", "overstayed")]
    assert _order(page, codes) == [
        residents[key].code for key in ("overstayed", "ending", "new", "waiting")
    ]


def test_names_are_not_a_sort_order_since_the_database_cannot_read_them(client, make, admin):
    """Names are encrypted: the database cannot order them, so the list offers no such sort
    and a crafted one lists the newest received first, as by default."""
    cases = [
        make.case(full_name="Trần Văn Bình", received_on=date(2026, 3, 10)),
        make.case(full_name="Đào Thị Mơ", received_on=date(2026, 3, 12)),
    ]

    page = _listed(client, sort="name")

    assert 'value="name"' not in page
    assert _order(page, [case.code for case in cases]) == [cases[1].code, cases[0].code]


def test_sort_by_code(client, make, admin):
    late = make.case(received_on=date(2026, 3, 14), consent_date=date(2026, 3, 14))
    early = make.case(make.facility("HT"), received_on=date(2026, 1, 2))

    by_code = _listed(client, sort="code")
    by_default = _listed(client)

    assert _order(by_code, [late.code, early.code]) == ["HT-2026-0001", "NA-2026-0001"]
    assert _order(by_default, [late.code, early.code]) == [late.code, early.code]


def test_newest_received_come_first_by_default(client, make, admin):
    old = make.case(received_on=date(2026, 2, 1))
    new = make.case(received_on=date(2026, 3, 14))

    page = _listed(client)

    assert _order(page, [old.code, new.code]) == [new.code, old.code]


def test_pages_split_the_list(client, make, admin, app, monkeypatch):
    monkeypatch.setitem(app.config, "CASES_PER_PAGE", 2)
    cases = [
        make.case(received_on=_days_ago(days), consent_date=_days_ago(days))
        for days in (5, 4, 3, 2, 1)
    ]
    newest_first = [case.code for case in reversed(cases)]

    pages = [_listed(client, page=number) for number in (1, 2, 3)]

    shown = [[code for code in newest_first if code in page] for page in pages]
    assert shown == [newest_first[0:2], newest_first[2:4], newest_first[4:]]
    assert "page=2" in pages[0]
    assert "page=3" not in pages[0]


def test_pages_keep_the_search(client, make, admin, app, monkeypatch):
    monkeypatch.setitem(app.config, "CASES_PER_PAGE", 1)
    make.case(full_name="Nguyễn Thị Hoa")
    make.case(full_name="Nguyễn Thị Huệ")
    make.case(full_name="Trần Văn Bình")
    in_english(client)

    page = _listed(client, q="nguyen")
    second = _listed(client, q="nguyen", page="2")

    assert "Page 1 of 2" in page
    assert 'form="case-search" name="page" value="2"' in page
    assert "Page 2 of 2" in second
    assert "Trần Văn Bình" not in second


def test_the_searched_name_is_in_no_address_and_no_cookie(client, make, admin):
    make.case(full_name="Nguyễn Thị Hoa")

    response = client.post("/cases/", data={"q": "Nguyễn Thị Hoa", "stage": "received"})

    assert response.status_code == 200
    page = text_of(response)
    assert "Nguyễn Thị Hoa" in page
    links = re.findall(r'(?:href|action)="([^"]*)"', page)
    assert not [link for link in links if "nguy" in link.lower() or "hoa" in link.lower()]
    with client.session_transaction() as session:
        assert "Nguy" not in repr(dict(session))


def test_a_name_in_the_address_searches_nothing_and_leaves_the_address(client, make, admin):
    make.case(full_name="Nguyễn Thị Hoa")
    make.case(full_name="Trần Văn Bình")

    response = client.get("/cases/?q=Hoa&stage=received")
    listed = client.get(response.location)

    assert response.status_code == 303
    assert response.location == "/cases/?stage=received"
    assert "Trần Văn Bình" in text_of(listed)


def test_a_hand_made_address_cannot_steer_where_the_search_is_left(client, make, admin):
    """Names such as _scheme or _external are the address builder's own options, never
    filters: left out, the same list at the same server (not an error page)."""
    response = client.get("/cases/?q=Hoa&stage=received&_scheme=javascript&_external=1")

    assert response.status_code == 303
    assert response.location == "/cases/?stage=received"


def test_filters_without_a_search_go_in_the_address(client, make, admin):
    response = client.post("/cases/", data={"q": "", "stage": "received", "sort": "code"})

    assert response.status_code == 302
    assert response.location == "/cases/?stage=received&sort=code"


def test_a_page_number_past_the_end_shows_no_case(client, make, admin, app, monkeypatch):
    monkeypatch.setitem(app.config, "CASES_PER_PAGE", 2)
    case = make.case()

    assert case.code not in _listed(client, page=9)
    assert case.code in _listed(client, page=0)


def test_the_list_counts_the_matching_cases(client, make, admin):
    make.case(full_name="Nguyễn Thị Hoa")
    make.case(full_name="Nguyễn Thị Huệ")
    make.case(full_name="Trần Văn Bình")
    in_english(client)

    assert "2 cases" in _listed(client, q="nguyen")
    assert "No case matches." in _listed(client, q="Phạm")


def test_list_query_count_does_not_grow_with_the_cases(client, make, admin, count_queries):
    facilities = [make.facility() for _ in range(3)]

    def add_cases(number):
        for i in range(number):
            case = make.case(facilities[i % 3])
            if i % 2 == 0:
                make.stay(case)

    def measure() -> int:
        db.session.commit()
        with count_queries() as counter:
            response = client.get("/cases/")
        assert response.status_code == 200
        return counter.count

    add_cases(3)
    few = measure()
    add_cases(27)
    many = measure()

    assert many == few
