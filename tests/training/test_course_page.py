"""The course page: only what a trainer needs of each person, counts, rates, fixed queries."""

from datetime import date

import pytest

from reintegration.auth.models import Role
from reintegration.cases.models import Sex
from reintegration.employers.models import Employer, EmployerKind
from reintegration.extensions import db
from reintegration.reference.models import ListKind
from reintegration.shelter import services as shelter
from reintegration.training.models import EnrolmentStatus
from tests.helpers import in_english, sign_in, text_of
from tests.training.helpers import course, enrolment, plain

SECRETS = {
    "trafficking_notes": "Bị lừa sang Quảng Tây, bán cho một gia đình ở Bách Sắc",
    "receiving_agency": "Đồn Biên phòng Cửa khẩu Hữu Nghị",
}
SERVICE_PROVIDER = "Bác sĩ Nông Văn Khải, Bệnh viện Đa khoa Nghệ An"


@pytest.fixture
def person(make, world):
    """A trainee whose file holds a trafficking profile and services."""
    row = make.case(
        world.facilities["here"],
        full_name="Lê Thị Thu Trang",
        sex=Sex.FEMALE,
        date_of_birth=date(2001, 7, 2),
        phone="0987 654 321",
        exploitation_country=make.item(ListKind.COUNTRY, "CN"),
        **SECRETS,
    )
    make.stay(row)
    shelter.record_service(
        row,
        make.service_kind("counselling"),
        date(2026, 3, 13),
        SERVICE_PROVIDER,
        "Ngủ kém, hay giật mình",
        0,
        world.trainer,
    )
    enrolment(row, world.courses["ours"], EnrolmentStatus.ENROLLED)
    db.session.commit()
    return row


def test_the_trainer_sees_code_name_sex_age_and_phone_of_each_trainee(client, auth, world, person):
    sign_in(auth, world.trainer)
    in_english(client)

    page = plain(client.get(f"/courses/{world.courses['ours'].id}"))

    for shown in (person.code, "Lê Thị Thu Trang", "Female", " 24 ", "0987 654 321"):
        assert shown in page


@pytest.mark.parametrize("role", [Role.TRAINER, Role.PROVINCIAL_OFFICER, Role.ADMIN])
def test_the_course_page_never_shows_the_trafficking_profile_or_services(
    client, make, auth, world, person, role
):
    sign_in(auth, world.user(make, role))

    page = text_of(client.get(f"/courses/{world.courses['ours'].id}"))

    assert person.full_name in page
    for secret in (*SECRETS.values(), SERVICE_PROVIDER, "Ngủ kém", "Trung Quốc", "China"):
        assert secret not in page


def test_the_trainer_is_not_sent_to_the_case_file(client, auth, world, person):
    sign_in(auth, world.trainer)

    page = text_of(client.get(f"/courses/{world.courses['ours'].id}"))

    assert f"/cases/{person.id}" not in page


def test_the_counts_and_the_completion_rate_say_how_they_are_counted(client, make, auth, world):
    ours = world.courses["ours"]
    for status in (
        EnrolmentStatus.ENROLLED,
        EnrolmentStatus.ATTENDING,
        EnrolmentStatus.COMPLETED,
        EnrolmentStatus.COMPLETED,
        EnrolmentStatus.COMPLETED,
        EnrolmentStatus.DROPPED_OUT,
    ):
        enrolment(make.case(world.facilities["here"]), ours, status)
    db.session.commit()
    sign_in(auth, world.trainer)
    in_english(client)

    page = plain(client.get(f"/courses/{ours.id}"))

    assert "6 / 10 Places taken" in page  # six hold a place: the drop-out frees one
    for number, label in [
        (1, "Referred"),
        (1, "Enrolled"),
        (1, "Attending"),
        (3, "Completed"),
        (1, "Dropped out"),
    ]:
        assert f" {number} {label} " in page
    assert "Completion rate: 75%" in page
    assert "completed ÷ (completed + dropped out)" in page


def test_a_course_with_no_one_finished_shows_no_completion_rate(client, auth, world):
    sign_in(auth, world.trainer)
    in_english(client)

    assert "Completion rate: —" in plain(client.get(f"/courses/{world.courses['ours'].id}"))


def test_a_provincial_officer_reads_the_course_without_its_actions(
    client, make, auth, world, person
):
    sign_in(auth, world.user(make, Role.PROVINCIAL_OFFICER))

    page = text_of(client.get(f"/courses/{world.courses['ours'].id}"))

    assert person.full_name in page
    assert "/attendance" not in page
    assert "/enrolments/" not in page


def _course_page_queries(client, count_queries, course_row) -> int:
    client.get(f"/courses/{course_row.id}")  # warm up: the login and the language
    with count_queries() as counter:
        response = client.get(f"/courses/{course_row.id}")
    assert response.status_code == 200
    return counter.count


def test_the_course_page_issues_as_many_queries_for_3_as_for_15_trainees(
    client, make, auth, world, count_queries
):
    small = course(make, world.trainer, title="Lớp ba người", capacity=20)
    large = course(make, world.trainer, title="Lớp mười lăm người", capacity=20)
    for row, size in ((small, 3), (large, 15)):
        for number in range(size):
            status = EnrolmentStatus.ATTENDING if number % 2 else EnrolmentStatus.ENROLLED
            enrolment(make.case(world.facilities["here"]), row, status)
    db.session.commit()
    sign_in(auth, world.trainer)
    for row in (small, large):
        trainees = [e.id for e in row.enrolments]
        client.post(
            f"/courses/{row.id}/attendance",
            data={"held_on": "13/03/2026", "present": trainees[::2]},
        )

    assert _course_page_queries(client, count_queries, small) == _course_page_queries(
        client, count_queries, large
    )


def test_the_trainer_home_lists_their_courses_with_dates_and_counts(client, make, auth, world):
    enrolment(make.case(world.facilities["here"]), world.courses["ours"], EnrolmentStatus.ENROLLED)
    db.session.commit()
    sign_in(auth, world.trainer)
    in_english(client)

    page = plain(client.get("/"))

    assert "Your courses" in page
    assert "Chăm sóc sắc đẹp cơ bản" in page
    assert "02/03/2026 – 29/05/2026" in page
    assert "2 / 10" in page
    assert "Nấu ăn" not in page  # another trainer's course


def test_the_course_page_shows_the_placement_rate_of_those_who_completed(client, make, auth, world):
    from reintegration.employers.models import EmployerCheck
    from reintegration.employment.models import ContractType, Placement

    trainer = world.trainer
    taught = course(make, trainer, title="May công nghiệp")
    placed = make.case(world.facilities["here"], full_name="Vi Thị Mai")
    waiting = make.case(world.facilities["here"], full_name="Lô Thị Hoa")
    for case in (placed, waiting):
        enrolment(case, taught, EnrolmentStatus.COMPLETED)
    hiring = Employer(
        name="Công ty May Hoàng Mai", kind=EmployerKind.BUSINESS, province=make.province("NA")
    )
    db.session.add(hiring)
    db.session.flush()
    db.session.add(
        EmployerCheck(
            employer_id=hiring.id,
            checked_on=taught.start_on,
            checked_by="Sở",
            written_contract=True,
            wages_on_time=True,
            no_withheld_documents=True,
            no_debt=True,
            safe_housing=None,
        )
    )
    db.session.add(
        Placement(
            case_id=placed.id,
            employer_id=hiring.id,
            course_id=taught.id,
            position="Công nhân",
            start_on=taught.start_on,
            monthly_wage=6_000_000,
            in_home_province=True,
            contract_type=ContractType.FIXED_TERM,
        )
    )
    sign_in(auth, trainer)
    in_english(client)

    page = plain(client.get(f"/courses/{taught.id}"))

    assert "Placement rate: 50% (1/2)" in page


def test_staff_of_another_facility_see_the_counts_but_not_the_trainees(
    client, make, auth, world, person
):
    other_facility = make.facility(province="NA")
    staff = make.user(Role.SHELTER_STAFF, facility=other_facility)
    sign_in(auth, staff)
    in_english(client)

    page = plain(client.get(f"/courses/{world.courses['ours'].id}"))

    assert person.code not in page
    assert person.full_name not in page
    assert "0987 654 321" not in page
    assert "2 / 10 Places taken" in page  # the whole class is counted
