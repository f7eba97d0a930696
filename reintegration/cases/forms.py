from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..extensions import db
from ..forms import CheckboxListField, DayField, FilterForm, Form, IdSelectField, NotInFuture
from ..reference import queries as reference
from ..reference.models import Commune, IdentificationStatus, ListItem, ListKind, Province
from ..submissions import SubmissionKey
from ..versions import VersionedForm
from .models import Case, Outcome, Sex

CONSENT_CHOICES = [("given", _l("Given")), ("refused", _l("Refused"))]


class CaseForm(VersionedForm, SubmissionKey, Form):
    column_fields = {"consent_given": "consent"}

    facility = IdSelectField(_l("Managing facility"), validators=[Optional()])

    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    sex = RadioField(_l("Sex"), choices=Sex.choices, validators=[InputRequired()])
    date_of_birth = DayField(_l("Date of birth"), validators=[Optional(), NotInFuture()])
    estimated_age = IntegerField(
        _l("Estimated age, when the date of birth is unknown"),
        validators=[Optional(), NumberRange(min=0, max=110)],
    )
    ethnicity = IdSelectField(_l("Ethnic group"), validators=[Optional()])
    citizenship = IdSelectField(_l("Citizenship"), validators=[Optional()])
    home_province = IdSelectField(_l("Home province"), validators=[DataRequired()])
    home_commune = IdSelectField(_l("Home commune or ward"), validators=[Optional()])
    home_address = StringField(_l("Home address"), validators=[Optional(), Length(max=300)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=50)])
    family_contacts = TextAreaField(
        _l("Family contacts"), validators=[Optional(), Length(max=2000)]
    )

    return_route = IdSelectField(_l("How the person returned"), validators=[DataRequired()])
    receiving_agency = StringField(
        _l("Receiving agency"), validators=[DataRequired(), Length(max=200)]
    )
    received_on = DayField(_l("Date received"), validators=[DataRequired(), NotInFuture()])
    exploitation_country = IdSelectField(_l("Country of exploitation"), validators=[Optional()])
    exploitation_forms = CheckboxListField(_l("Forms of exploitation"), coerce=int)
    recruitment = IdSelectField(_l("How the person was recruited"), validators=[Optional()])
    control_means = CheckboxListField(_l("Means of control"), coerce=int)
    trafficking_notes = TextAreaField(
        _l("Notes on the trafficking"), validators=[Optional(), Length(max=5000)]
    )
    identification_status = SelectField(
        _l("Identification status"),
        choices=IdentificationStatus.choices,
        validators=[DataRequired()],
    )

    consent = RadioField(_l("Consent"), choices=CONSENT_CHOICES, validators=[InputRequired()])
    consent_date = DayField(_l("Date of consent"), validators=[DataRequired(), NotInFuture()])
    consent_storage = BooleanField(_l("Storing the person's data"))
    consent_sharing = BooleanField(_l("Sharing with the agencies named below"))
    consent_agencies = StringField(_l("Agencies"), validators=[Optional(), Length(max=500)])
    consent_contact = BooleanField(_l("Contact by case workers after going home"))

    confirm_duplicate = HiddenField()

    def fill_choices(self, facilities) -> None:
        self.facility.choices = [reference.NONE_CHOICE, *[(f.id, f.name) for f in facilities]]
        self.home_province.choices = reference.province_choices()
        # Each commune carries its province so the page can offer only the home province's.
        self.home_commune.choices = [reference.NONE_CHOICE] + [
            (commune.id, commune.name, {"data-province": commune.province_id})
            for commune in reference.communes()
        ]
        self.ethnicity.choices = reference.item_choices(ListKind.ETHNICITY)
        self.citizenship.choices = reference.item_choices(ListKind.COUNTRY)
        self.return_route.choices = reference.item_choices(ListKind.RETURN_ROUTE)
        self.exploitation_country.choices = reference.item_choices(ListKind.COUNTRY)
        self.exploitation_forms.choices = reference.item_choices(ListKind.EXPLOITATION, False)
        self.recruitment.choices = reference.item_choices(ListKind.RECRUITMENT)
        self.control_means.choices = reference.item_choices(ListKind.CONTROL, False)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        return self._check_age() and valid

    def _check_age(self) -> bool:
        """Exactly one of the date of birth and an estimated age.

        Checked after the fields' own validators: Optional() ends the validation of an empty
        field before any inline validator would run.
        """
        born, age = self.date_of_birth, self.estimated_age
        if born.errors or age.errors:
            return True
        if born.data and age.data is not None:
            message = _l("Give either the date of birth or an estimated age, not both.")
        elif not born.data and age.data is None:
            message = _l("Give the date of birth or an estimated age.")
        else:
            return True
        age.errors = [*age.errors, message]
        return False

    def load(self, case: Case) -> None:
        """Fill the form from a stored case."""
        self.process(obj=case)
        self.facility.data = case.facility_id
        for name in ("ethnicity", "citizenship", "home_province", "home_commune"):
            getattr(self, name).data = getattr(case, name + "_id")
        for name in ("return_route", "exploitation_country", "recruitment"):
            getattr(self, name).data = getattr(case, name + "_id")
        self.sex.data = case.sex.value
        self.identification_status.data = case.identification_status.value
        self.exploitation_forms.data = [item.id for item in case.exploitation_forms]
        self.control_means.data = [item.id for item in case.control_means]
        self.consent.data = "given" if case.consent_given else "refused"
        if case.estimated_birth_year and not case.date_of_birth:
            self.estimated_age.data = case.received_on.year - case.estimated_birth_year

    def store(self, case: Case) -> None:
        """Copy the submitted values onto ``case`` (not yet checked by the services)."""
        get = db.session.get
        case.full_name = (self.full_name.data or "").strip()
        case.sex = Sex(self.sex.data)
        case.date_of_birth = self.date_of_birth.data
        case.received_on = self.received_on.data
        case.estimated_birth_year = (
            self.received_on.data.year - self.estimated_age.data
            if self.estimated_age.data is not None
            else None
        )
        case.ethnicity = _item(self.ethnicity.data)
        case.citizenship = _item(self.citizenship.data)
        case.home_province = get(Province, self.home_province.data)
        case.home_commune = get(Commune, self.home_commune.data) if self.home_commune.data else None
        case.home_address = self.home_address.data or ""
        case.phone = self.phone.data or ""
        case.family_contacts = self.family_contacts.data or ""
        case.return_route = _item(self.return_route.data)
        case.receiving_agency = (self.receiving_agency.data or "").strip()
        case.exploitation_country = _item(self.exploitation_country.data)
        case.exploitation_forms = [
            db.session.get_one(ListItem, i) for i in self.exploitation_forms.data or []
        ]
        case.recruitment = _item(self.recruitment.data)
        case.control_means = [
            db.session.get_one(ListItem, i) for i in self.control_means.data or []
        ]
        case.trafficking_notes = self.trafficking_notes.data or ""
        case.identification_status = IdentificationStatus(self.identification_status.data)
        case.consent_given = self.consent.data == "given"
        case.consent_date = self.consent_date.data
        case.consent_storage = self.consent_storage.data
        case.consent_sharing = self.consent_sharing.data
        case.consent_agencies = (self.consent_agencies.data or "").strip()
        case.consent_contact = self.consent_contact.data


def _item(item_id):
    return db.session.get(ListItem, item_id) if item_id else None


class CaseFilterForm(FilterForm):
    """The case list's search and filters, read from the query string."""

    q = StringField(_l("Code or name"), validators=[Optional(), Length(max=100)])
    facility = IdSelectField(_l("Facility"), validators=[Optional()])
    stage = SelectField(_l("Stage"), validators=[Optional()])
    status = SelectField(_l("Identification status"), validators=[Optional()])
    days = SelectField(_l("Days remaining"), validators=[Optional()])
    sort = SelectField(_l("Sort by"), validators=[Optional()])


class CloseForm(SubmissionKey, Form):
    outcome = SelectField(_l("Outcome"), choices=Outcome.choices, validators=[DataRequired()])
    closed_on = DayField(_l("Date of closure"), validators=[DataRequired(), NotInFuture()])
    note = TextAreaField(_l("Note"), validators=[DataRequired(), Length(max=5000)])
    confirm = BooleanField(_l("Close even though a job or follow-ups are still open"))


class ReopenForm(SubmissionKey, Form):
    reopened_on = DayField(_l("Date of reopening"), validators=[DataRequired(), NotInFuture()])
    reason = TextAreaField(
        _l("Why the case is reopened"), validators=[DataRequired(), Length(max=5000)]
    )
