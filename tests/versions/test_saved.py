"""The version check and the write are two steps: a change that lands between them is still a
conflict (SQLAlchemy's StaleDataError at the flush), never an error page."""

from sqlalchemy import update
from sqlalchemy.orm.exc import StaleDataError
from wtforms import StringField

from reintegration.cases.models import Case
from reintegration.extensions import db
from reintegration.forms import Form
from reintegration.versions import VersionedForm, saved
from tests.helpers import reload


class AddressForm(VersionedForm, Form):
    home_address = StringField("Home address")


def test_a_change_committed_between_the_check_and_the_write_is_shown_as_a_conflict(
    app, make, facility
):
    case = make.case(facility, home_address="Xóm 1")
    db.session.commit()
    sent = {"version": str(case.version), "home_address": "Xóm 9"}

    def change_meanwhile():
        # Someone else's save, written after this form's version was checked.
        db.session.execute(
            update(Case)
            .where(Case.id == case.id)
            .values(version=Case.version + 1)
            .execution_options(synchronize_session=False)  # as from another connection
        )
        case.home_address = "Xóm 9"

    with app.test_request_context(method="POST", data=sent):
        form = AddressForm()
        kept = saved(form, case, change_meanwhile)

        assert not kept
        assert form.conflict is not None
        assert form.home_address.data == "Xóm 9"  # the user's value stays in the form
    assert reload(case).home_address == "Xóm 1"


def test_a_save_that_meets_another_outside_an_edit_form_is_answered_409_not_500(app):
    with app.test_request_context(method="POST"):
        response = app.make_response(app.handle_user_exception(StaleDataError("no row matched")))

    assert response.status_code == 409
    assert "Chưa có gì của bạn được lưu" in response.get_data(as_text=True)
