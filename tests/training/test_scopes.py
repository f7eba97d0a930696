"""Every role against the training pages, in and out of its scope: 404 out of scope, 403 without
the permission."""

import pytest

from reintegration.auth.models import Role
from reintegration.training.models import TrainingSession
from tests.helpers import count, sign_in, text_of

ALL_ROLES = list(Role)
VIEWERS = set(ALL_ROLES)
MANAGERS = {Role.ADMIN, Role.TRAINER}
REFERRERS = {Role.ADMIN, Role.SHELTER_STAFF, Role.PROVINCIAL_OFFICER, Role.CASE_WORKER}
# The courses each role (made by TrainingWorld.user) may see: a trainer their own, others
# those of their province (Nghe An), an administrator all.
VISIBLE_COURSES = {
    Role.ADMIN: {"ours", "theirs"},
    Role.SHELTER_STAFF: {"ours"},
    Role.PROVINCIAL_OFFICER: {"ours"},
    Role.CASE_WORKER: {"ours"},
    Role.TRAINER: {"ours"},
}
VISIBLE_CASES = {
    Role.ADMIN: {"here", "far"},
    Role.SHELTER_STAFF: {"here"},
    Role.PROVINCIAL_OFFICER: {"here"},
    Role.CASE_WORKER: {"here"},
    Role.TRAINER: set(),
}
KEYS = ("ours", "theirs")


def _expected(role: Role, allowed: bool, visible: dict = VISIBLE_COURSES, keys=KEYS) -> dict:
    if not allowed:
        return dict.fromkeys(keys, 403)
    return {key: 200 if key in visible[role] else 404 for key in keys}


@pytest.mark.parametrize("role", ALL_ROLES)
def test_course_page_answers_404_outside_the_scope(client, make, auth, world, role):
    sign_in(auth, world.user(make, role))

    statuses = {key: client.get(f"/courses/{world.courses[key].id}").status_code for key in KEYS}

    assert statuses == _expected(role, role in VIEWERS)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_course_list_shows_only_the_courses_in_scope(client, make, auth, world, role):
    sign_in(auth, world.user(make, role))

    page = text_of(client.get("/courses/"))

    shown = {key for key in KEYS if f'/courses/{world.courses[key].id}"' in page}
    assert shown == VISIBLE_COURSES[role]


@pytest.mark.parametrize(
    "path", ["/courses/{id}/edit", "/courses/{id}/attendance"], ids=["edit", "attendance"]
)
@pytest.mark.parametrize("role", ALL_ROLES)
def test_course_management_pages_are_for_admins_and_the_course_trainer(
    client, make, auth, world, role, path
):
    sign_in(auth, world.user(make, role))

    statuses = {key: client.get(path.format(id=world.courses[key].id)).status_code for key in KEYS}

    assert statuses == _expected(role, role in MANAGERS)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_new_course_page_is_for_admins_and_trainers(client, make, auth, world, role):
    sign_in(auth, world.user(make, role))

    assert client.get("/courses/new").status_code == (200 if role in MANAGERS else 403)


@pytest.mark.parametrize("move", ["enrol", "complete", "drop-out"])
@pytest.mark.parametrize("role", ALL_ROLES)
def test_enrolment_moves_are_for_admins_and_the_course_trainer(
    client, make, auth, world, role, move
):
    sign_in(auth, world.user(make, role))

    statuses = {
        key: client.get(f"/enrolments/{world.enrolments[key].id}/{move}").status_code
        for key in KEYS
    }

    assert statuses == _expected(role, role in MANAGERS)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_mark_attending_is_for_admins_and_the_course_trainer(client, make, auth, world, role):
    sign_in(auth, world.user(make, role))

    statuses = {
        key: client.post(f"/enrolments/{world.enrolments[key].id}/attending").status_code
        for key in KEYS
    }

    expected = _expected(role, role in MANAGERS)
    assert statuses == {key: 302 if code == 200 else code for key, code in expected.items()}


@pytest.mark.parametrize("role", [role for role in ALL_ROLES if role != Role.ADMIN])
def test_posting_attendance_to_a_course_out_of_scope_is_refused(client, make, auth, world, role):
    """Posting answers like reading: out of scope is 404, and nothing is saved."""
    sign_in(auth, world.user(make, role))
    theirs = world.courses["theirs"]

    response = client.post(
        f"/courses/{theirs.id}/attendance", data={"held_on": "14/03/2026", "present": []}
    )

    assert response.status_code == (404 if role == Role.TRAINER else 403)
    assert count(TrainingSession) == 0


@pytest.mark.parametrize("role", ALL_ROLES)
def test_referral_page_answers_404_for_cases_outside_the_scope(client, make, auth, world, role):
    sign_in(auth, world.user(make, role))

    statuses = {
        key: client.get(f"/cases/{world.cases[key].id}/enrolments/new").status_code
        for key in ("here", "far")
    }

    assert statuses == _expected(role, role in REFERRERS, VISIBLE_CASES, ("here", "far"))


def test_an_anonymous_visitor_is_sent_to_log_in(client, world):
    response = client.get(f"/courses/{world.courses['ours'].id}")

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ALL_ROLES)
def test_the_courses_link_shows_for_every_role_that_may_see_courses(
    client, make, auth, world, role
):
    sign_in(auth, world.user(make, role))

    assert 'href="/courses/"' in text_of(client.get("/"))
