"""Placement rate and retention per course, facility and province, counted by hand."""

import re
from datetime import date

import pytest

from reintegration.auth.models import Role
from reintegration.employment import queries
from reintegration.employment import services as employment
from reintegration.employment.models import EndReason
from reintegration.extensions import db
from tests.employers.helpers import check, checked_employer, employer
from tests.helpers import in_english, sign_in, text_of

from .helpers import course, enrol, place

RECEIVED = date(2026, 1, 5)


@pytest.fixture
def counted(make, frozen_clock):
    """Seen on 15 September 2026.

    Nghe An: three people completed the food-processing course; two found a job credited to
    it on 1 March, one of whom left after two months; a fourth person, never trained, started
    a job on 1 August. Ha Tinh: one person completed the same course and works since 1 March.
    """
    frozen_clock.set(date(2026, 9, 15))
    here = make.facility("NA", name="Trung tâm Công tác xã hội Nghệ An")
    far = make.facility("HT", name="Trung tâm Công tác xã hội Hà Tĩnh")
    food = course(make, "NA", title="Chế biến thực phẩm K1")

    def person(facility, name, home="NA"):
        return make.case(
            facility,
            full_name=name,
            home_province=home,
            received_on=RECEIVED,
            consent_date=RECEIVED,
        )

    trainees = [person(here, name) for name in ("Lô Thị Hoa", "Vi Thị Lan", "Kha Thị Ngọc")]
    untrained = person(here, "Lương Thị Thu")
    elsewhere = person(far, "Trần Thị Bích", home="HT")
    for trainee in [*trainees, elsewhere]:
        enrol(trainee, food)
    factory = checked_employer(make, "NA", name="Công ty Thực phẩm Vinh")
    seafood = checked_employer(make, "HT", name="Công ty Thủy sản Hà Tĩnh")
    place(make, trainees[0], factory, date(2026, 3, 1), course=food)
    left = place(make, trainees[1], factory, date(2026, 3, 1), course=food)
    employment.end_placement(left, date(2026, 5, 1), EndReason.RESIGNED, "")
    place(make, untrained, factory, date(2026, 8, 1))
    place(make, elsewhere, seafood, date(2026, 3, 1), course=food)
    db.session.commit()
    return {"here": here, "far": far, "food": food}


def _row(page: str, section: str, label: str) -> str:
    """The figures of one table row, as plain text: "67% (2/3) 50% (1/2) ..."."""
    start = page.index(f'id="{section}"')
    end = page.index("</table>", start)
    row_start = page.index(f'<th scope="row">{label}</th>', start, end)
    row = page[row_start : page.index("</tr>", row_start)]
    text = re.sub(r"<[^>]+>", " ", row.replace(f"{label}", "", 1))
    return " ".join(text.split())


def _page(client, make, auth, **user) -> str:
    sign_in(auth, make.user(**user))
    in_english(client)
    response = client.get("/employment/outcomes")
    assert response.status_code == 200
    return text_of(response)


def test_per_course_among_the_provinces_cases(client, make, auth, counted):
    page = _page(client, make, auth, role=Role.PROVINCIAL_OFFICER, province="NA")

    # Placement 2 of 3 trainees; at 3 and 6 months 1 of the 2 jobs held; none is a year old.
    assert _row(page, "by-course", "Chế biến thực phẩm K1") == (
        "67% (2/3) 50% (1/2) 50% (1/2) — (0/0)"
    )


def test_per_facility_and_province_among_the_provinces_cases(client, make, auth, counted):
    page = _page(client, make, auth, role=Role.PROVINCIAL_OFFICER, province="NA")

    # 3 of the 4 people placed; the August job has not reached its third month.
    expected = "75% (3/4) 50% (1/2) 50% (1/2) — (0/0)"
    assert _row(page, "by-facility", "Trung tâm Công tác xã hội Nghệ An") == expected
    assert _row(page, "by-province", "Nghe An") == expected
    assert "Trung tâm Công tác xã hội Hà Tĩnh" not in page
    assert "Ha Tinh" not in page


def test_an_administrator_counts_every_province(client, make, auth, counted):
    page = _page(client, make, auth, role=Role.ADMIN)

    assert _row(page, "by-course", "Chế biến thực phẩm K1") == (
        "75% (3/4) 67% (2/3) 67% (2/3) — (0/0)"
    )
    assert _row(page, "by-facility", "Trung tâm Công tác xã hội Hà Tĩnh") == (
        "100% (1/1) 100% (1/1) 100% (1/1) — (0/0)"
    )
    assert _row(page, "by-province", "Ha Tinh") == "100% (1/1) 100% (1/1) 100% (1/1) — (0/0)"


def test_a_year_later_the_twelve_month_retention_is_measured(
    client, make, auth, counted, frozen_clock
):
    frozen_clock.set(date(2027, 3, 1))

    page = _page(client, make, auth, role=Role.PROVINCIAL_OFFICER, province="NA")

    assert _row(page, "by-course", "Chế biến thực phẩm K1").endswith("50% (1/2)")


@pytest.mark.parametrize(
    ("today", "due"),
    [(date(2026, 2, 27), 0), (date(2026, 2, 28), 1)],
)
def test_retention_marks_fall_on_the_last_day_of_a_shorter_month(
    app, make, frozen_clock, today, due
):
    """30 November + 3 months is 28 February, on SQLite as on PostgreSQL."""
    frozen_clock.set(date(2026, 3, 1))
    facility = make.facility("NA")
    case = make.case(facility, received_on=date(2025, 11, 1), consent_date=date(2025, 11, 1))
    place(make, case, checked_employer(make, "NA"), date(2025, 11, 30))
    db.session.commit()
    frozen_clock.set(today)
    admin = make.user(Role.ADMIN)

    with app.test_request_context():
        [row] = queries.outcomes(admin).facilities

    assert row.retention[3] == queries.Rate(due, due)


def _more_of_everything(make):
    """Courses, facilities, employers and jobs in both provinces."""
    for number in range(4):
        facility = make.facility("NA" if number % 2 else "HT")
        taught = course(make, "NA", title=f"Khóa học {number}")
        hirer = checked_employer(make, "NA", name=f"Doanh nghiệp {number}")
        for _ in range(2):
            person = make.case(facility, received_on=RECEIVED, consent_date=RECEIVED)
            enrol(person, taught)
            place(make, person, hirer, date(2026, 2, 1), course=taught)
    db.session.commit()


def test_outcomes_page_issues_the_same_queries_for_few_and_many_rows(
    client, make, auth, counted, count_queries
):
    sign_in(auth, make.user(Role.ADMIN))
    with count_queries() as few:
        assert client.get("/employment/outcomes").status_code == 200

    _more_of_everything(make)
    with count_queries() as many:
        page = text_of(client.get("/employment/outcomes"))

    assert "Khóa học 3" in page
    assert many.count == few.count


def test_employer_list_issues_the_same_queries_for_few_and_many_rows(
    client, make, auth, counted, count_queries
):
    sign_in(auth, make.user(Role.ADMIN))
    with count_queries() as few:
        assert client.get("/employers/").status_code == 200

    _more_of_everything(make)
    unchecked = employer(make, "NA", name="Hợp tác xã Chưa kiểm tra")
    failed = employer(make, "HT", name="Cơ sở Trượt kiểm tra")
    check(make, failed, passed=False)
    db.session.commit()
    with count_queries() as many:
        page = text_of(client.get("/employers/"))

    assert unchecked.name in page
    assert "Doanh nghiệp 3" in page
    assert many.count == few.count
