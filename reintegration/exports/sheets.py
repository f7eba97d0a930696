"""The table sheets of the support workbook: a sheet per record of the journey, its columns.

Columns that identify a person (names, contacts, notes about the person) are shown only in a
workbook made with names.
"""

from datetime import date

from flask_babel import gettext as _

from .. import clock
from .bands import AGE_GROUPS, CTDC_BANDS, age_at_reception, band, band_label
from .filters import Filters
from .names import Reference
from .workbook import Column, Kind, TableSheet


def _code() -> Column:
    return Column(_("Case code"), lambda row: row.code, width=14)


def _full_name() -> Column:
    return Column(_("Full name"), lambda row: row.full_name, width=26, identifying=True)


def case_columns(ref: Reference) -> list[Column]:
    return [
        _code(),
        _full_name(),
        *_contact_columns(ref),
        *_profile_columns(ref),
        *_reception_columns(ref),
    ]


def _contact_columns(ref: Reference) -> list[Column]:
    """Who the person is and how to reach them: shown only with names."""
    return [
        Column(_("Date of birth"), lambda r: r.date_of_birth, Kind.DAY, 12, identifying=True),
        Column(_("Phone"), lambda r: r.phone, width=16, identifying=True),
        Column(_("Home address"), lambda r: r.home_address, width=30, identifying=True),
        Column(
            _("Home commune or ward"),
            lambda r: ref.name("communes", r.home_commune_id),
            width=20,
            identifying=True,
        ),
        Column(_("Family contacts"), lambda r: r.family_contacts, width=30, identifying=True),
    ]


def _profile_columns(ref: Reference) -> list[Column]:
    """Sex, age and its bands, ethnic group and home province."""
    return [
        Column(_("Sex"), lambda r: ref.label(r.sex), width=10),
        Column(_("Age at reception"), age_at_reception, Kind.NUMBER, 10),
        Column(
            _("Age group"),
            lambda r: band_label(AGE_GROUPS, band(age_at_reception(r), AGE_GROUPS)),
            width=12,
        ),
        Column(
            _("CTDC age band"),
            lambda r: band_label(CTDC_BANDS, band(age_at_reception(r), CTDC_BANDS)),
            width=12,
        ),
        Column(_("Ethnic group"), lambda r: ref.name("items", r.ethnicity_id), width=14),
        Column(_("Home province"), lambda r: ref.name("provinces", r.home_province_id), width=18),
    ]


def _reception_columns(ref: Reference) -> list[Column]:
    """How the person came back, what happened to them, and where the case stands."""
    return [
        Column(
            _("How the person returned"),
            lambda r: ref.name("items", r.return_route_id),
            width=22,
        ),
        Column(_("Receiving agency"), lambda r: r.receiving_agency, width=24),
        Column(_("Date received"), lambda r: r.received_on, Kind.DAY, 12),
        Column(
            _("Country of exploitation"),
            lambda r: ref.name("items", r.exploitation_country_id),
            width=18,
        ),
        Column(
            _("Forms of exploitation"),
            lambda r: ref.joined(r.form_ids),
            width=30,
        ),
        Column(_("Identification status"), lambda r: ref.label(r.identification_status), width=24),
        Column(_("Managing facility"), lambda r: ref.name("facilities", r.facility_id), width=28),
        Column(_("Stage"), lambda r: ref.label(r.stage), width=16),
    ]


def days_in_period(row, filters: Filters, today: date) -> int:
    """Days of the stay within the period, the day of admission counted (day 1)."""
    first = max(row.admitted_on, filters.start)
    last = min(row.discharged_on or today, filters.end)
    return max((last - first).days + 1, 0)


def stay_columns(ref: Reference, filters: Filters, today: date) -> list[Column]:
    return [
        _code(),
        _full_name(),
        Column(_("Facility"), lambda r: ref.name("facilities", r.facility_id), width=28),
        Column(_("Date of admission"), lambda r: r.admitted_on, Kind.DAY, 12),
        Column(_("Planned end"), lambda r: r.planned_end, Kind.DAY, 12),
        Column(_("Date of discharge"), lambda r: r.discharged_on, Kind.DAY, 12),
        Column(_("Destination"), lambda r: ref.name("items", r.destination_id), width=22),
        Column(
            _("Days in the period"),
            lambda r: days_in_period(r, filters, today),
            Kind.COUNT,
            12,
            total=True,
        ),
    ]


def service_columns(ref: Reference) -> list[Column]:
    return [
        _code(),
        _full_name(),
        Column(_("Date"), lambda r: r.provided_on, Kind.DAY, 12),
        Column(_("Support type"), lambda r: ref.support_type(r.support_type_id), width=30),
        Column(_("Service"), lambda r: ref.name("service_kinds", r.kind_id), width=28),
        Column(_("Provided by"), lambda r: r.provider, width=26),
        Column(_("Notes"), lambda r: r.notes, width=40, identifying=True),
        Column(_("Cost"), lambda r: r.cost, Kind.MONEY, 14, total=True),
    ]


def _kind_type(ref: Reference, kind_id: int) -> str:
    kind = ref.allowance_kinds.get(kind_id)
    return ref.support_type(kind.support_type_id) if kind is not None else ""


def _decided_on(row) -> date | None:
    return clock.local(row.decided_at).date() if row.decided_at is not None else None


def allowance_columns(ref: Reference) -> list[Column]:
    return [
        _code(),
        _full_name(),
        Column(_("Allowance"), lambda r: ref.name("allowance_kinds", r.kind_id), width=28),
        Column(_("Support type"), lambda r: _kind_type(ref, r.kind_id), width=30),
        Column(_("Paying facility"), lambda r: ref.name("facilities", r.facility_id), width=28),
        Column(_("Date of the application"), lambda r: r.applied_on, Kind.DAY, 12),
        Column(_("Covers from"), lambda r: r.period_from, Kind.DAY, 12),
        Column(_("Covers to"), lambda r: r.period_to, Kind.DAY, 12),
        Column(_("Days"), lambda r: r.days, Kind.COUNT, 8),
        # No total: requests of every status are listed, and refused or cancelled ones are no
        # money granted; the Payments sheet totals what was paid.
        Column(_("Amount"), lambda r: r.amount, Kind.MONEY, 14),
        Column(_("Status"), lambda r: ref.label(r.status), width=14),
        Column(_("Decided on"), _decided_on, Kind.DAY, 12),
    ]


def payment_columns(ref: Reference) -> list[Column]:
    return [
        _code(),
        _full_name(),
        Column(_("Paid on"), lambda r: r.paid_on, Kind.DAY, 12),
        Column(_("Allowance"), lambda r: ref.name("allowance_kinds", r.kind_id), width=28),
        Column(_("Support type"), lambda r: _kind_type(ref, r.kind_id), width=30),
        Column(_("Paying facility"), lambda r: ref.name("facilities", r.facility_id), width=28),
        Column(_("Method"), lambda r: ref.label(r.method), width=16),
        Column(_("Receipt number"), lambda r: r.receipt_number, width=16),
        Column(_("Correction"), lambda r: ref.label(True) if r.corrects_id else "", width=12),
        Column(_("Amount"), lambda r: r.amount, Kind.MONEY, 14, total=True),
    ]


def enrolment_columns(ref: Reference) -> list[Column]:
    return [
        _code(),
        _full_name(),
        Column(_("Course"), lambda r: r.title, width=28),
        Column(_("Kind"), lambda r: ref.label(r.kind), width=16),
        Column(_("Trade or soft-skills module"), lambda r: ref.name("items", r.topic_id), width=24),
        Column(_("Training provider"), lambda r: r.provider, width=24),
        Column(_("Referred on"), lambda r: r.referred_on, Kind.DAY, 12),
        Column(_("Date of enrolment"), lambda r: r.enrolled_on, Kind.DAY, 12),
        Column(_("Status"), lambda r: ref.label(r.status), width=14),
        Column(_("Date of completion"), lambda r: r.completed_on, Kind.DAY, 12),
        Column(_("Date the person left"), lambda r: r.dropped_out_on, Kind.DAY, 12),
        Column(_("Reason"), lambda r: r.dropout_reason, width=30, identifying=True),
        Column(_("Cost per trainee"), lambda r: r.cost_per_trainee, Kind.MONEY, 14, total=True),
    ]


def placement_columns(ref: Reference) -> list[Column]:
    return [
        _code(),
        _full_name(),
        Column(_("Employer"), lambda r: r.employer, width=28),
        Column(_("Kind"), lambda r: ref.label(r.employer_kind), width=18),
        Column(_("Position"), lambda r: r.position, width=22),
        Column(_("Start date"), lambda r: r.start_on, Kind.DAY, 12),
        Column(_("Contract"), lambda r: ref.label(r.contract_type), width=20),
        Column(_("Monthly wage"), lambda r: r.monthly_wage, Kind.MONEY, 14),
        Column(
            _("In the person's home province"), lambda r: ref.label(r.in_home_province), width=12
        ),
        Column(_("Housing support"), lambda r: ref.label(r.housing_support), width=12),
        Column(_("Last day"), lambda r: r.end_on, Kind.DAY, 12),
        Column(_("Reason"), lambda r: ref.label(r.end_reason), width=18),
        Column(_("Note"), lambda r: r.end_note, width=30, identifying=True),
    ]


def followup_columns(ref: Reference) -> list[Column]:
    return [
        _code(),
        _full_name(),
        Column(_("Follow-up"), lambda r: ref.label(r.reason), width=22),
        Column(_("Months after"), lambda r: r.mark_months, Kind.NUMBER, 10),
        Column(_("Planned"), lambda r: r.planned_on, Kind.DAY, 12),
        Column(_("Date of the follow-up"), lambda r: r.done_on, Kind.DAY, 12),
        Column(_("How"), lambda r: ref.label(r.method), width=14),
        Column(_("Contact made"), lambda r: ref.label(r.contact_made), width=12),
        Column(_("Still in the job"), lambda r: ref.label(r.still_in_job), width=12),
        Column(
            _("Risk signs"),
            lambda r: ref.joined(r.sign_ids),
            width=30,
        ),
        Column(_("Sustainability score (0–100)"), lambda r: r.composite, Kind.NUMBER, 12),
        Column(_("Wellbeing"), lambda r: r.wellbeing, width=40, identifying=True),
    ]


def table_sheet(book, title, columns: list[Column], filters: Filters) -> TableSheet:
    shown = [column for column in columns if filters.names or not column.identifying]
    return TableSheet(book, title, shown)
