"""The course catalogue: what is kept, who trains, and bad input refused field by field."""

from datetime import date

import pytest
from sqlalchemy import select

from reintegration.auth.models import Role
from reintegration.extensions import db
from reintegration.reference.models import ListKind
from reintegration.training.models import Course, CourseKind
from tests.helpers import count, field_errors, in_english, reload, sign_in, text_of
from tests.training.helpers import employer


def _data(make, **fields):
    return {
        "title": "Thương mại điện tử cho người mới bắt đầu",
        "kind": "trade",
        "topic": make.item(ListKind.TRADE, "ECOMMERCE").id,
        "provider": "Trung tâm Giáo dục nghề nghiệp Nghi Lộc",
        "province": make.province("NA").id,
        "start_on": "01/04/2026",
        "end_on": "30/06/2026",
        "schedule": "Sáng thứ Hai, Tư, Sáu",
        "capacity": "15",
        "cost_per_trainee": "2.500.000",
        "market_demand": "Hợp tác xã cần người bán hàng trực tuyến",
        **fields,
    }


def _courses() -> list[Course]:
    db.session.expire_all()
    return db.session.scalars(select(Course).order_by(Course.id)).all()


def test_a_trainer_creates_a_course_that_is_their_own(client, make, auth):
    trainer = sign_in(auth, make.user(Role.TRAINER, province="NA"))
    cooperative = employer(make, "NA", "Hợp tác xã Nông sản Diễn Châu")
    db.session.commit()

    response = client.post("/courses/new", data=_data(make, employers=[cooperative.id]))

    [course] = _courses()
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/courses/{course.id}")
    assert course.trainer_id == trainer.id
    assert course.kind == CourseKind.TRADE
    assert course.topic.code == "ECOMMERCE"
    assert (course.start_on, course.end_on) == (date(2026, 4, 1), date(2026, 6, 30))
    assert course.capacity == 15
    assert course.cost_per_trainee == 2_500_000
    assert course.market_demand == "Hợp tác xã cần người bán hàng trực tuyến"
    assert [e.name for e in course.employers] == ["Hợp tác xã Nông sản Diễn Châu"]


def test_a_trainer_is_not_offered_to_choose_the_trainer(client, make, auth):
    sign_in(auth, make.user(Role.TRAINER, province="NA"))

    assert 'name="trainer"' not in text_of(client.get("/courses/new"))


def test_an_admin_gives_the_course_to_a_trainer(client, make, auth):
    sign_in(auth, make.user(Role.ADMIN))
    trainer = make.user(Role.TRAINER, full_name="Đỗ Minh Châu")
    db.session.commit()

    page = text_of(client.get("/courses/new"))
    client.post("/courses/new", data=_data(make, trainer=trainer.id))

    assert "Đỗ Minh Châu" in page
    [course] = _courses()
    assert course.trainer_id == trainer.id


def test_an_admin_cannot_give_a_course_to_a_user_who_is_not_a_trainer(client, make, auth):
    sign_in(auth, make.user(Role.ADMIN))
    officer = make.user(Role.PROVINCIAL_OFFICER, province="NA")
    db.session.commit()

    response = client.post("/courses/new", data=_data(make, trainer=officer.id))

    assert field_errors(response, "trainer")
    assert _courses() == []


def test_a_soft_skills_module_takes_its_topic_from_the_soft_skills_list(client, make, auth):
    sign_in(auth, make.user(Role.TRAINER, province="NA"))

    response = client.post(
        "/courses/new",
        data=_data(make, kind="soft_skills", topic=make.item(ListKind.SOFT_SKILL, "FINANCE").id),
    )

    assert response.status_code == 302
    [course] = _courses()
    assert course.kind == CourseKind.SOFT_SKILLS
    assert course.topic.code == "FINANCE"


def test_a_trade_topic_is_refused_for_a_soft_skills_module(client, make, auth):
    sign_in(auth, make.user(Role.TRAINER, province="NA"))
    in_english(client)

    response = client.post("/courses/new", data=_data(make, kind="soft_skills"))

    assert field_errors(response, "topic") == [
        "Choose a topic from the list “Soft-skills modules”."
    ]
    assert _courses() == []


def test_an_employer_of_another_province_cannot_be_named(client, make, auth):
    sign_in(auth, make.user(Role.TRAINER, province="NA"))
    employer(make, "NA", "Công ty TNHH Hoa Sen")
    elsewhere = employer(make, "HT", "Công ty May Hà Tĩnh")
    db.session.commit()

    response = client.post("/courses/new", data=_data(make, employers=[elsewhere.id]))

    assert field_errors(response, "employers")
    assert _courses() == []


def test_the_course_form_says_when_the_province_has_no_employer_yet(client, make, auth):
    sign_in(auth, make.user(Role.TRAINER, province="NA"))

    page = text_of(client.get("/courses/new"))

    assert 'name="employers"' not in page
    assert 'name="title"' in page


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", ""),
        ("kind", "cooking_class"),
        ("topic", ""),
        ("provider", ""),
        ("province", ""),
        ("start_on", "31/02/2026"),
        ("end_on", ""),
        ("end_on", "01/03/2026"),
        ("capacity", "-1"),
        ("capacity", "mười"),
        ("cost_per_trainee", "ba triệu"),
        ("cost_per_trainee", ""),
        ("schedule", "x" * 301),
    ],
)
def test_bad_input_on_the_course_form_is_shown_beside_its_field_and_nothing_is_saved(
    client, make, auth, field, value
):
    sign_in(auth, make.user(Role.TRAINER, province="NA"))

    response = client.post("/courses/new", data=_data(make, **{field: value}))

    assert response.status_code == 200
    assert field_errors(response, field)
    assert count(Course) == 0


def test_the_trainer_edits_their_course(client, make, auth, world):
    sign_in(auth, world.trainer)
    course = world.courses["ours"]

    response = client.post(
        f"/courses/{course.id}/edit", data=_data(make, title="Chăm sóc da", capacity="12")
    )

    assert response.status_code == 302
    course = reload(course)
    assert (course.title, course.capacity) == ("Chăm sóc da", 12)
    assert course.trainer_id == world.trainer.id


def test_the_edit_form_opens_with_the_course_as_kept(client, make, auth, world):
    sign_in(auth, world.trainer)

    page = text_of(client.get(f"/courses/{world.courses['ours'].id}/edit"))

    assert 'value="Chăm sóc sắc đẹp cơ bản"' in page
    assert 'value="02/03/2026"' in page


def test_bad_input_on_the_edit_form_changes_nothing(client, make, auth, world):
    sign_in(auth, world.trainer)
    course = world.courses["ours"]

    response = client.post(
        f"/courses/{course.id}/edit", data=_data(make, title="Đổi tên", end_on="01/01/2026")
    )

    assert field_errors(response, "end_on")
    assert reload(course).title == "Chăm sóc sắc đẹp cơ bản"
