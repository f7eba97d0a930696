"""A value a user typed, inside a translated message, is shown as text in every shape a message
takes: lazy or not, singular or plural, made in Python or in a template, kept in the session
as a flashed message, or a rule's refusal beside a field; in Vietnamese and in English."""

import re
from datetime import date
from pathlib import Path

import pytest
from flask import render_template_string
from flask_babel import force_locale, gettext, lazy_gettext, lazy_ngettext, ngettext
from markupsafe import Markup, escape
from sqlalchemy import func, select

from reintegration.allowances.models import Payment
from reintegration.auth.models import Role
from reintegration.employment.models import Placement
from reintegration.errors import DomainError
from reintegration.extensions import db
from reintegration.forms import Form, attach_error
from reintegration.reference.models import ListKind
from reintegration.shelter.models import Stay
from reintegration.support.models import AllowanceKind
from tests.allowances import helpers as allowances
from tests.employers import helpers as employers
from tests.employment import helpers as employment
from tests.helpers import field_errors, form_errors, in_english, sign_in

from .plant import payload

SCRIPT = "<script>alert(1)</script>"
LANGUAGES = ("vi", "en")


def escaped(value: str) -> str:
    return str(escape(value))


def assert_shown_as_text(page: str, value: str) -> None:
    assert value not in page
    assert "<form action=//x.example>" not in page
    assert escaped(value) in page


# The shapes of a message, rendered by Jinja with the app's settings.


def _shown(app, template: str, **values) -> str:
    with app.test_request_context(), force_locale("en"):
        return render_template_string(template, **values)


@pytest.mark.parametrize(
    "message",
    [
        lambda: lazy_gettext("Case %(code)s is created.", code=SCRIPT),
        lambda: gettext("Case %(code)s is created.", code=SCRIPT),
        lambda: lazy_ngettext("%(num)s row read: %(x)s", "%(num)s rows read: %(x)s", 2, x=SCRIPT),
        lambda: ngettext("%(num)s row read: %(x)s", "%(num)s rows read: %(x)s", 1, x=SCRIPT),
        lambda: lazy_gettext("Row %(row)s: %(message)s", row=2, message=lazy_gettext(SCRIPT)),
        lambda: gettext("Row %(row)s: %(message)s", row=2, message=lazy_gettext(SCRIPT)),
    ],
    ids=["lazy", "gettext", "lazy-plural", "plural", "lazy-in-lazy", "lazy-in-gettext"],
)
def test_a_message_made_in_python_shows_its_values_as_text(app, message):
    with app.test_request_context(), force_locale("en"):
        made = message()
        page = render_template_string("<p>{{ message }}</p>", message=made)

    assert_shown_as_text(page, SCRIPT)
    assert "&amp;lt;" not in page  # escaped once, not twice


@pytest.mark.parametrize(
    "template",
    [
        "{{ _('Case %(code)s is created.', code=value) }}",
        "{{ gettext('Case %(code)s is created.', code=value) }}",
        "{{ ngettext('%(num)s row read: %(x)s', '%(num)s rows read: %(x)s', 3, x=value) }}",
        "{{ _('Row %(row)s: %(message)s', row=2, message=lazy) }}",
        "{{ value }}",
        '<input value="{{ value }}">',
    ],
)
def test_a_message_made_in_a_template_shows_its_values_as_text(app, template):
    with app.test_request_context():
        lazy = lazy_gettext("%(x)s", x=SCRIPT)
    page = _shown(app, template, value=SCRIPT, lazy=lazy)

    assert_shown_as_text(page, SCRIPT)
    assert "&amp;lt;" not in page


def test_a_lazy_message_is_escaped_once_by_markup_and_by_escape(app):
    with app.test_request_context(), force_locale("en"):
        message = lazy_gettext("Case %(code)s is created.", code=SCRIPT)

        assert Markup(message) == escape(message)  # noqa: S704  (what the test is about)
        assert str(escape(message)) == f"Case {escaped(SCRIPT)} is created."
        assert str(Markup("<p>%s</p>") % message) == f"<p>Case {escaped(SCRIPT)} is created.</p>"


def test_a_refusal_beside_a_field_shows_its_values_as_text(app):
    with app.test_request_context(), force_locale("en"):
        form = Form(meta={"csrf": False})
        attach_error(form, DomainError(lazy_gettext("Case %(code)s is created.", code=SCRIPT)))
        page = render_template_string(
            "{% for error in form.form_errors %}<div>{{ error }}</div>{% endfor %}", form=form
        )

    assert_shown_as_text(page, SCRIPT)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("lazy", [True, False], ids=["lazy", "gettext"])
def test_a_flashed_message_kept_in_the_session_shows_its_values_as_text(
    app, client, auth, make, language, lazy
):
    """The message goes through the session as the app keeps it, and the page shows it."""
    sign_in(auth, make.user(Role.ADMIN, language=language))
    with app.test_request_context(), force_locale(language):
        make_message = lazy_gettext if lazy else gettext
        message = make_message("Case %(code)s is created.", code=SCRIPT)
        if not lazy:
            message = str(message)
    with client.session_transaction() as session:
        session.setdefault("_flashes", []).append(("success", message))

    page = client.get("/tasks/").get_data(as_text=True)

    assert_shown_as_text(page, SCRIPT)
    assert "&amp;lt;" not in page


# The refusals that repeat a value, through the pages, in both languages.


@pytest.fixture(params=LANGUAGES)
def language(request):
    return request.param


def _as(client, auth, user, language: str):
    sign_in(auth, user)
    if language == "en":
        in_english(client)
    return user


def test_a_receipt_number_already_used_is_named_as_text(client, auth, make, language):
    facility = make.facility("NA")
    case = make.case(facility)
    typed = payload("receipt")
    allowances.paid(make, case, "CLOTHING", receipt=typed)
    allowance = allowances.approved(make, case)
    _as(client, auth, make.user(Role.SHELTER_STAFF, facility=facility), language)

    response = client.post(
        f"/allowances/{allowance.id}/payment",
        data={"paid_on": "15/03/2026", "method": "cash", "receipt_number": typed},
    )

    assert_shown_as_text(response.get_data(as_text=True), typed)
    assert typed in field_errors(response, "receipt_number")[0]
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 1


def test_a_receipt_number_given_twice_in_the_register_is_named_as_text(
    client, auth, make, language
):
    facility = make.facility("NA")
    case = make.case(facility)
    first = allowances.approved(make, case)
    second = allowances.approved(make, case, "CLOTHING")
    typed = payload("receipt")
    _as(client, auth, make.user(Role.SHELTER_STAFF, facility=facility), language)

    response = client.post(
        f"/facilities/{facility.id}/payment-register",
        data={
            "paid_on": "15/03/2026",
            "method": "bank_transfer",
            "allowance": [first.id, second.id],
            f"receipt_{first.id}": typed,
            f"receipt_{second.id}": typed,
        },
    )

    assert_shown_as_text(response.get_data(as_text=True), typed)
    assert any(typed in error for error in form_errors(response))
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 0


def test_an_open_placement_names_its_employer_as_text(client, auth, make, language):
    case = make.case(make.facility("NA"))
    name = payload("employer")
    employer = employers.checked_employer(make, "NA", name=name)
    employment.place(make, case, employer, date(2026, 3, 13))
    _as(client, auth, make.user(Role.CASE_WORKER, province="NA"), language)

    response = client.post(
        f"/cases/{case.id}/placements/new",
        data=employment.placement_form(employer, start_on="14/03/2026"),
    )

    assert_shown_as_text(response.get_data(as_text=True), name)
    assert name in field_errors(response, "employer")[0]
    assert db.session.scalar(select(func.count()).select_from(Placement)) == 1


def test_a_person_already_staying_names_the_facility_as_text(client, auth, make, language):
    name = payload("facility")
    facility = make.facility("NA", name=name)
    case = make.case(facility)
    make.stay(case, admitted_on=date(2026, 3, 12))
    _as(client, auth, make.user(Role.SHELTER_STAFF, facility=facility), language)

    response = client.post(
        f"/cases/{case.id}/admit", data={"facility": facility.id, "admitted_on": "14/03/2026"}
    )

    assert_shown_as_text(response.get_data(as_text=True), name)
    assert name in field_errors(response, "facility")[0]
    assert db.session.scalar(select(func.count()).select_from(Stay)) == 1


def test_a_holiday_already_listed_is_named_as_text(client, auth, make, language):
    name = payload("holiday")
    _as(client, auth, make.user(Role.ADMIN), language)
    added = client.post(
        "/admin/policy/holidays", data={"day": "03/09/2026", "name_vi": name, "name_en": name}
    )
    assert added.status_code == 302

    response = client.post(
        "/admin/policy/holidays", data={"day": "03/09/2026", "name_vi": "Nghỉ", "name_en": "Off"}
    )

    assert_shown_as_text(response.get_data(as_text=True), name)
    assert name in field_errors(response, "day")[0]


def test_an_allowance_kind_code_holding_html_is_refused_as_text(client, auth, make, language):
    code = "<b>K</b>"
    _as(client, auth, make.user(Role.ADMIN), language)
    before = db.session.scalar(select(func.count()).select_from(AllowanceKind))

    response = client.post(
        "/admin/policy/kinds/new",
        data={
            "code": code,
            "support_type": str(allowances.support_type("e").id),
            "name_vi": "Tiền tàu xe",
            "name_en": "Travel",
            "legal_basis": "",
            "decision_days": "",
            "active": "y",
        },
    )

    assert response.status_code == 200
    assert_shown_as_text(response.get_data(as_text=True), code)
    assert db.session.scalar(select(func.count()).select_from(AllowanceKind)) == before


def test_an_allowance_kind_named_in_its_limit_is_shown_as_text(client, auth, make, language):
    name = payload("kind")
    kind = allowances.kind("HARDSHIP")
    kind.name_vi = kind.name_en = name
    facility = make.facility("NA")
    case = make.case(facility)
    allowances.request(make, case)
    _as(client, auth, make.user(Role.SHELTER_STAFF, facility=facility), language)

    response = client.post(
        f"/cases/{case.id}/allowances/new",
        data={"kind": kind.id, "period_from": "12/03/2026", "applied_on": "13/03/2026"},
    )

    assert_shown_as_text(response.get_data(as_text=True), name)
    assert name in field_errors(response, "kind")[0]


# Nothing in the app marks a text as HTML: every value goes through the escaping above.

ROOT = Path(__file__).resolve().parents[2]
MARKING = re.compile(
    r"Markup\s*\(|\|\s*safe\b|autoescape\s+(false|off)|__html__|render_template_string"
    r"|Environment\s*\(|\|\s*urlize\b"
)
# Where marking is allowed, and why.
MARKED = {
    "reintegration/extensions.py": "lazy messages' __html__ escapes their text (the fix itself)",
    "templates/auth/totp_enrol.html": "the QR code's SVG, drawn by segno: squares, no text",
}


def test_no_code_or_template_marks_a_text_as_html():
    files = [*ROOT.glob("reintegration/**/*.py"), *ROOT.glob("templates/**/*.html")]
    marking = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in files
        if str(path.relative_to(ROOT)) not in MARKED
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if MARKING.search(line)
    ]

    assert files
    assert not marking, "\n".join(marking)


def test_a_case_staying_elsewhere_names_its_facility_as_text(client, auth, make, language):
    name = payload("facility")
    facility = make.facility("NA", name=name)
    case = make.case(facility, full_name="Trần Thị Lan")
    make.stay(case)
    other = make.facility("NA")
    _as(client, auth, make.user(Role.ADMIN), language)
    form = {
        "facility": str(other.id),
        "full_name": "Trần Thị Lan",
        "sex": "female",
        "date_of_birth": "17/05/2000",
        "home_province": str(make.province("NA").id),
        "return_route": str(make.item(ListKind.RETURN_ROUTE, "HANDOVER").id),
        "receiving_agency": "Bộ đội Biên phòng",
        "received_on": "12/03/2026",
        "identification_status": "identified",
        "consent": "given",
        "consent_date": "12/03/2026",
        "consent_storage": "y",
    }

    response = client.post(f"/cases/{case.id}/edit", data=form)

    assert_shown_as_text(response.get_data(as_text=True), name)
    assert name in field_errors(response, "facility")[0]
