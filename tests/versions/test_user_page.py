"""The account page holds three forms: the edit form shown again after a refused password
reset still carries the version it was read at, so it cannot overwrite a colleague's change."""

from reintegration.auth import services
from reintegration.auth.models import Role, User
from reintegration.extensions import db
from tests.helpers import in_english, sign_in
from tests.submissions.helpers import form_on
from tests.versions.helpers import conflict_box


def test_the_edit_form_after_a_refused_password_reset_does_not_overwrite_a_change(
    client, make, auth
):
    admin = make.user(Role.ADMIN, full_name="Quản trị Viên")
    worker = make.user(Role.CASE_WORKER, province="NA", full_name="Hồ Thị Lan")
    db.session.commit()
    sign_in(auth, admin)
    in_english(client)
    client.get(f"/admin/users/{worker.id}")
    refused = client.post(
        f"/admin/users/{worker.id}/password",
        data={**form_on(client.get(f"/admin/users/{worker.id}"), "password"), "password": "short"},
    )
    assert refused.status_code == 400
    older = form_on(refused, "version")
    # A colleague renames the account meanwhile.
    services.update_user(
        worker, Role.CASE_WORKER, None, worker.province, "Hồ Thị Lan Anh", worker.email, admin
    )
    db.session.commit()

    sent = client.post(f"/admin/users/{worker.id}", data={**older, "full_name": ["Hồ Lan"]})

    assert sent.status_code == 200
    assert "Hồ Thị Lan → Hồ Thị Lan Anh" in conflict_box(sent)
    db.session.expire_all()
    assert db.session.get(User, worker.id).full_name == "Hồ Thị Lan Anh"
