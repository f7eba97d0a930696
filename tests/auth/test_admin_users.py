import pytest
from sqlalchemy import func, select

from reintegration.auth.models import Role, User
from reintegration.extensions import db
from tests.auth.conftest import NON_ADMIN_ROLES
from tests.auth.pages import field_errors, table_rows, text
from tests.conftest import PASSWORD


def _new_user_form(role: Role, facility=None, province=None, **changes) -> dict:
    form = {
        "username": "hoa.nguyen",
        "full_name": "Nguyễn Thị Hoa",
        "email": "hoa@example.org",
        "role": role.value,
        "facility": facility.id if facility else "",
        "province": province.id if province else "",
        "password": PASSWORD,
        "confirm": PASSWORD,
    }
    form.update(changes)
    return form


def _user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))


def _users() -> int:
    return db.session.scalar(select(func.count(User.id)))


@pytest.mark.parametrize("role", NON_ADMIN_ROLES, ids=lambda role: role.value)
def test_other_roles_are_refused_every_user_administration_page(client, logged_in, member, role):
    logged_in(role)
    target = member(Role.TRAINER)
    db.session.commit()
    users_before = _users()
    password_hash = target.password_hash

    answers = {
        "list": client.get("/admin/users/"),
        "new": client.get("/admin/users/new"),
        "create": client.post("/admin/users/new", data=_new_user_form(Role.TRAINER)),
        "edit": client.get(f"/admin/users/{target.id}"),
        "save": client.post(f"/admin/users/{target.id}", data={"role": "admin"}),
        "reset": client.post(
            f"/admin/users/{target.id}/password",
            data={"password": "another long one", "confirm": "another long one"},
        ),
        "deactivate": client.post(f"/admin/users/{target.id}/active"),
    }

    assert {name: answer.status_code for name, answer in answers.items()} == dict.fromkeys(
        answers, 403
    )
    assert _users() == users_before
    assert (target.role, target.active, target.password_hash) == (
        Role.TRAINER,
        True,
        password_hash,
    )


def test_visitor_who_is_not_logged_in_is_sent_to_the_login_page(client, member):
    member(Role.ADMIN)
    db.session.commit()

    assert client.get("/admin/users/").location.startswith("/login?next=")


def test_administrator_sees_every_user_with_role_and_scope(client, logged_in, member, make):
    admin = logged_in(Role.ADMIN, username="root")
    facility = make.facility(name="Trung tâm Công tác xã hội Nghệ An")
    member(Role.SHELTER_STAFF, username="thu", facility=facility)
    member(Role.CASE_WORKER, username="binh", province="HT")

    rows = table_rows(client.get("/admin/users/").get_data(as_text=True))

    by_name = {row[0]: row for row in rows}
    assert set(by_name) == {admin.username, "thu", "binh"}
    assert by_name["thu"][2:5] == [
        "Shelter staff",
        "Trung tâm Công tác xã hội Nghệ An",
        facility.province.name,
    ]
    assert by_name["binh"][2:5] == ["Commune case worker", "", make.province("HT").name]


def test_the_user_list_names_every_role_in_words(client, logged_in, member):
    logged_in(Role.ADMIN, username="root")
    for role in NON_ADMIN_ROLES:
        member(role, username=role.value)

    rows = table_rows(client.get("/admin/users/").get_data(as_text=True))

    assert {row[0]: row[2] for row in rows} == {
        "root": "Administrator",
        "shelter_staff": "Shelter staff",
        "trainer": "Vocational trainer",
        "provincial_officer": "Provincial officer",
        "case_worker": "Commune case worker",
    }


@pytest.mark.parametrize(
    ("role", "scope"),
    [
        (Role.ADMIN, None),
        (Role.SHELTER_STAFF, "facility"),
        (Role.TRAINER, None),
        (Role.PROVINCIAL_OFFICER, "province"),
        (Role.CASE_WORKER, "province"),
    ],
    ids=lambda value: value.value if isinstance(value, Role) else str(value),
)
def test_administrator_creates_each_kind_of_user(client, logged_in, make, role, scope):
    logged_in(Role.ADMIN)
    facility = make.facility(province="HT") if scope == "facility" else None
    province = make.province("QN") if scope == "province" else None

    response = client.post(
        "/admin/users/new", data=_new_user_form(role, facility=facility, province=province)
    )

    assert response.location == "/admin/users/"
    user = _user("hoa.nguyen")
    assert (user.role, user.facility, user.full_name, user.email) == (
        role,
        facility,
        "Nguyễn Thị Hoa",
        "hoa@example.org",
    )
    assert user.province == (facility.province if facility else province)
    assert "The account is created." in text(client.get("/admin/users/").get_data(as_text=True))


def test_user_created_by_the_administrator_logs_in(app, client, logged_in):
    logged_in(Role.ADMIN)
    client.post("/admin/users/new", data=_new_user_form(Role.TRAINER))

    login = {"username": "hoa.nguyen", "password": PASSWORD}
    assert app.test_client().post("/login", data=login).location == "/"


def test_shelter_staff_may_be_given_their_facilitys_province(client, logged_in, make):
    logged_in(Role.ADMIN)
    facility = make.facility(province="HT")

    client.post(
        "/admin/users/new",
        data=_new_user_form(Role.SHELTER_STAFF, facility=facility, province=facility.province),
    )

    assert _user("hoa.nguyen").province == facility.province


@pytest.mark.parametrize(
    ("role", "scope", "changes", "field", "message"),
    [
        (Role.TRAINER, None, {"username": "taken"}, "username", "This username is taken."),
        (Role.TRAINER, None, {"username": "Taken"}, "username", "This username is taken."),
        (Role.TRAINER, None, {"username": "a b"}, "username", "Use letters, digits, dots, dashes."),
        (
            Role.TRAINER,
            None,
            {"password": "too short", "confirm": "too short"},
            "password",
            "Use at least 10 characters.",
        ),
        (
            Role.TRAINER,
            None,
            {"confirm": "not the same password"},
            "confirm",
            "The passwords differ.",
        ),
        (Role.TRAINER, None, {"email": "hoa at example"}, "email", "This is not an email address."),
        (
            Role.SHELTER_STAFF,
            None,
            {},
            "facility",
            "Shelter staff belong to a facility.",
        ),
        (
            Role.PROVINCIAL_OFFICER,
            None,
            {},
            "province",
            "This role works for a province: choose one.",
        ),
        (
            Role.CASE_WORKER,
            None,
            {},
            "province",
            "This role works for a province: choose one.",
        ),
        (
            Role.PROVINCIAL_OFFICER,
            "other-province",
            {},
            "province",
            "The facility is in another province.",
        ),
    ],
    ids=[
        "username-taken",
        "username-taken-other-case",
        "username-characters",
        "short-password",
        "confirm-differs",
        "email",
        "staff-without-facility",
        "officer-without-province",
        "case-worker-without-province",
        "facility-in-another-province",
    ],
)
def test_bad_new_user_is_refused_beside_the_field_and_nothing_is_saved(
    client, logged_in, member, make, role, scope, changes, field, message
):
    logged_in(Role.ADMIN)
    member(Role.TRAINER, username="taken")
    facility = province = None
    if scope == "other-province":
        facility, province = make.facility(province="NA"), make.province("HT")
    db.session.commit()
    users_before = _users()

    response = client.post(
        "/admin/users/new",
        data=_new_user_form(role, facility=facility, province=province, **changes),
    )

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert field_errors(page, field) == [message]
    assert _users() == users_before


def test_administrator_changes_a_users_role_and_scope(client, logged_in, member, make):
    logged_in(Role.ADMIN)
    worker = member(Role.CASE_WORKER, username="binh", province="NA")
    facility = make.facility(province="HT")
    db.session.commit()

    response = client.post(
        f"/admin/users/{worker.id}",
        data={
            "username": "binh",
            "full_name": "Phạm Văn Bình",
            "email": "",
            "role": "shelter_staff",
            "facility": facility.id,
            "province": "",
        },
    )

    assert response.location == "/admin/users/"
    assert (worker.role, worker.facility, worker.province, worker.full_name) == (
        Role.SHELTER_STAFF,
        facility,
        facility.province,
        "Phạm Văn Bình",
    )


def test_changing_a_user_to_a_role_without_its_scope_is_refused(client, logged_in, member):
    logged_in(Role.ADMIN)
    trainer = member(Role.TRAINER, username="lan")
    db.session.commit()

    response = client.post(
        f"/admin/users/{trainer.id}",
        data={"username": "lan", "role": "provincial_officer", "facility": "", "province": ""},
    )

    assert field_errors(response.get_data(as_text=True), "province") == [
        "This role works for a province: choose one."
    ]
    assert trainer.role == Role.TRAINER


def test_the_username_cannot_be_changed_on_the_edit_page(client, logged_in, member):
    logged_in(Role.ADMIN)
    trainer = member(Role.TRAINER, username="lan")
    db.session.commit()

    client.post(
        f"/admin/users/{trainer.id}",
        data={"username": "someone.else", "role": "trainer", "facility": "", "province": ""},
    )

    assert trainer.username == "lan"


def test_editing_an_unknown_user_answers_404(client, logged_in):
    logged_in(Role.ADMIN)

    assert client.get("/admin/users/999999").status_code == 404


def test_administrator_deactivates_a_user(client, logged_in, member):
    logged_in(Role.ADMIN)
    trainer = member(Role.TRAINER, username="lan")
    db.session.commit()

    response = client.post(f"/admin/users/{trainer.id}/active")

    assert response.location == f"/admin/users/{trainer.id}"
    page = client.get(response.location).get_data(as_text=True)
    assert "The account is deactivated." in text(page)
    assert trainer.active is False
    rows = table_rows(client.get("/admin/users/").get_data(as_text=True))
    assert next(row for row in rows if row[0] == "lan")[5] == "Deactivated"


def test_deactivation_ends_the_users_open_session(app, client, logged_in, member):
    logged_in(Role.ADMIN)
    trainer = member(Role.TRAINER)
    db.session.commit()
    trainer_client = app.test_client()
    trainer_client.post("/login", data={"username": trainer.username, "password": PASSWORD})
    assert trainer_client.get("/").status_code == 200

    client.post(f"/admin/users/{trainer.id}/active")

    assert trainer_client.get("/").location == "/login"


def test_administrator_reactivates_a_user(app, client, logged_in, member):
    admin = logged_in(Role.ADMIN)
    trainer = member(Role.TRAINER)
    trainer.active = False
    db.session.commit()

    response = client.post(f"/admin/users/{trainer.id}/active", data={"active": "y"})

    assert "The account is active." in text(client.get(response.location).get_data(as_text=True))
    assert trainer.active is True
    login = {"username": trainer.username, "password": PASSWORD}
    assert app.test_client().post("/login", data=login).location == "/"
    assert admin.active is True


def test_administrator_cannot_deactivate_their_own_account(client, logged_in):
    admin = logged_in(Role.ADMIN)

    response = client.post(f"/admin/users/{admin.id}/active")

    page = client.get(response.location).get_data(as_text=True)
    assert "You cannot deactivate your own account." in text(page)
    assert admin.active is True
    assert client.get("/admin/users/").status_code == 200


def test_user_list_needs_the_same_queries_for_many_users(client, logged_in, member, count_queries):
    logged_in(Role.ADMIN)
    member(Role.SHELTER_STAFF)
    db.session.commit()
    with count_queries() as few:
        client.get("/admin/users/")
    for _ in range(6):
        member(Role.SHELTER_STAFF)
        member(Role.CASE_WORKER)
    db.session.commit()

    with count_queries() as many:
        client.get("/admin/users/")

    assert many.count == few.count


def test_an_administrator_cannot_take_away_their_own_administrator_role(client, logged_in):
    admin = logged_in(Role.ADMIN)

    response = client.post(
        f"/admin/users/{admin.id}",
        data={"username": admin.username, "role": "trainer", "province": ""},
    )

    assert response.status_code == 200
    assert "You cannot take away your own administrator role." in response.get_data(as_text=True)
    db.session.refresh(admin)
    assert admin.role == Role.ADMIN
