"""The support workbook a province sends up: a sheet per record of the journey, and a summary.

The summary's counts are tallied from the very rows written to the sheets, so a reader can
find every number again with a filter; the money paid per support type comes from the query of
the Allowances page.
"""

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import IO

from flask_babel import gettext as _

from .. import clock
from ..cases.models import Case, Sex
from ..dates import add_months
from ..employment.models import still_held
from ..employment.queries import RETENTION_MONTHS
from ..formatting import day
from ..reference.models import SupportType
from . import queries
from .bands import AGE_GROUPS, CTDC_BANDS, band
from .queries import Filters, Reference
from .spool import Spool
from .workbook import Column, Kind, SummarySheet, TableSheet, discard, new_workbook


def band_label(bands, index: int | None) -> str:
    return str(bands[index][2]) if index is not None else _("Unknown age")


def age_at_reception(row) -> int | None:
    # Case.age reads only the birth date and the estimated birth year, which the row carries.
    return Case.age(row, on=row.received_on)


@dataclass
class Tally:
    """What the summary counts, gathered while the rows are written."""

    filters: Filters
    as_of: date
    rows: Counter = field(default_factory=Counter)
    sex: Counter = field(default_factory=Counter)
    age_group: Counter = field(default_factory=Counter)
    ctdc_band: Counter = field(default_factory=Counter)
    forms: Counter = field(default_factory=Counter)
    countries: Counter = field(default_factory=Counter)
    routes: Counter = field(default_factory=Counter)
    homes: Counter = field(default_factory=Counter)
    services: Counter = field(default_factory=Counter)
    service_costs: Counter = field(default_factory=Counter)
    training: Counter = field(default_factory=Counter)
    jobs: Counter = field(default_factory=Counter)
    retention_due: Counter = field(default_factory=Counter)
    retention_kept: Counter = field(default_factory=Counter)
    followups: Counter = field(default_factory=Counter)

    def during(self, day: date | None) -> bool:
        return day is not None and self.filters.start <= day <= self.filters.end

    def case(self, row) -> None:
        age = age_at_reception(row)
        self.sex[row.sex] += 1
        self.age_group[band(age, AGE_GROUPS)] += 1
        self.ctdc_band[band(age, CTDC_BANDS)] += 1
        ids = [int(key) for key in (row.form_ids or "").split(",") if key]
        if ids:
            self.forms.update(ids)
        else:
            self.forms[None] += 1
        self.countries[row.exploitation_country_id] += 1
        self.routes[row.return_route_id] += 1
        self.homes[row.home_province_id] += 1

    def service(self, row) -> None:
        self.services[row.support_type_id] += 1
        self.service_costs[row.support_type_id] += row.cost

    def enrolment(self, row) -> None:
        self.training["referred"] += self.during(row.referred_on)
        self.training["completed"] += self.during(row.completed_on)
        self.training["dropped_out"] += self.during(row.dropped_out_on)

    def placement(self, row) -> None:
        self.jobs["started"] += 1
        self.jobs["outside_home"] += not row.in_home_province
        self.jobs["housing"] += bool(row.housing_support)
        for months in RETENTION_MONTHS:
            mark = add_months(row.start_on, months)
            if mark <= self.as_of:
                self.retention_due[months] += 1
                self.retention_kept[months] += still_held(row.end_on, mark)

    def followup(self, row) -> None:
        self.followups["planned"] += self.during(row.planned_on)
        if self.during(row.done_on):
            self.followups["done"] += 1
            self.followups["contact_made"] += bool(row.contact_made)
            self.followups["risk_signs"] += bool(row.sign_ids)


def _code() -> Column:
    return Column(_("Case code"), lambda row: row.code, width=14)


def _full_name() -> Column:
    return Column(_("Full name"), lambda row: row.full_name, width=26, identifying=True)


def _case_columns(ref: Reference) -> list[Column]:
    return [
        _code(),
        _full_name(),
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


def _stay_columns(ref: Reference, filters: Filters, today: date) -> list[Column]:
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


def _service_columns(ref: Reference) -> list[Column]:
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


def _allowance_columns(ref: Reference) -> list[Column]:
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


def _payment_columns(ref: Reference) -> list[Column]:
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


def _enrolment_columns(ref: Reference) -> list[Column]:
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


def _placement_columns(ref: Reference) -> list[Column]:
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


def _followup_columns(ref: Reference) -> list[Column]:
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


def _sheet(book, title, columns: list[Column], filters: Filters) -> TableSheet:
    shown = [column for column in columns if filters.names or not column.identifying]
    return TableSheet(book, title, shown)


# How often a workbook made in the background tells how far it has come, in rows.
PROGRESS_ROWS = 1000


def write(
    filters: Filters,
    scope,
    target: IO[bytes] | Spool,
    progress: Callable[[int], None] | None = None,
) -> Counter:
    """Write the workbook to ``target``; return the rows written per sheet. ``progress``, if
    given, hears the number of rows written so far every ``PROGRESS_ROWS`` rows."""
    today = clock.today()
    ref = queries.reference(filters.names)
    tally = Tally(filters, as_of=min(filters.end, today))
    book = new_workbook()
    try:
        _write_sheets(book, filters, scope, ref, tally, today, progress)
        book.save(target)
    except BaseException:
        discard(book)
        raise
    return tally.rows


def _write_sheets(
    book, filters: Filters, scope, ref: Reference, tally: Tally, today: date, progress=None
):
    # Made first so that it is the first sheet; written last, from the tally.
    summary = SummarySheet(book, _("Summary"))
    sheets = (
        ("cases", _("Cases"), _case_columns(ref), queries.cases, tally.case),
        ("stays", _("Stays"), _stay_columns(ref, filters, today), queries.stays, None),
        ("services", _("Services"), _service_columns(ref), queries.services, tally.service),
        (
            "allowances",
            _("Allowances"),
            _allowance_columns(ref),
            queries.allowance_requests,
            None,
        ),
        ("payments", _("Payments"), _payment_columns(ref), queries.payments, None),
        ("training", _("Training"), _enrolment_columns(ref), queries.enrolments, tally.enrolment),
        (
            "placements",
            _("Placements"),
            _placement_columns(ref),
            queries.placements,
            tally.placement,
        ),
        ("followups", _("Follow-ups"), _followup_columns(ref), queries.followups, tally.followup),
    )
    for key, title, columns, rows, count in sheets:
        sheet = _sheet(book, title, columns, filters)
        found = rows(filters, scope)
        if progress is not None:
            found = _reporting(found, progress, sum(tally.rows.values()))
        sheet.fill(found, count)
        tally.rows[key] = sheet.rows
    write_summary(summary, filters, ref, tally, queries.paid_by_type(filters, scope), today)


def _reporting(rows: Iterable, progress: Callable[[int], None], before: int) -> Iterator:
    """``rows`` unchanged; every ``PROGRESS_ROWS`` rows of the workbook, ``progress`` hears how
    many are written (those of the earlier sheets, ``before``, included)."""
    for number, row in enumerate(rows, before + 1):
        yield row
        if number % PROGRESS_ROWS == 0:
            progress(number)


def _listed(counts: Counter, table: dict) -> list[tuple[str, int]]:
    """Counts per list item or province in the list's order, those not recorded last."""
    known = sorted(
        (key for key in counts if key is not None),
        key=lambda key: (table[key].sort_order, table[key].name),
    )
    rows = [(table[key].name, counts[key]) for key in known]
    if counts[None]:
        rows.append((_("Not recorded"), counts[None]))
    return rows


def _bands(counts: Counter, bands) -> list[tuple[str, int]]:
    return [(band_label(bands, i), counts[i]) for i in (*range(len(bands)), None)]


def _services(tally: Tally, ref: Reference) -> list[tuple[str, int, int]]:
    order = sorted(tally.services, key=lambda key: ref.support_types[key].sort_order)
    return [
        (ref.support_types[key].title, tally.services[key], tally.service_costs[key])
        for key in order
    ]


def _notes(filters: Filters, as_of: date) -> list[str]:
    return [
        _("The cases of a facility are those it manages.")
        if filters.facility is not None
        else _(
            "The cases of a province are those managed in the province and those whose home "
            "province it is, as its officers see them."
        ),
        _(
            "People received: cases received in the period. Age is the age on the day of "
            "reception, from the date of birth or the estimated age; without either it is "
            "counted as unknown."
        ),
        _(
            "A person may have several forms of exploitation, so that table may add up to more "
            "than the people received."
        ),
        _(
            "Stays: admitted in the period, or admitted earlier and not discharged before it "
            "began. Days in the period count the days of each stay within the period, the day "
            "of admission included."
        ),
        _("Services: provided in the period."),
        _(
            "Allowances: applied for or decided in the period. Payments: paid in the period, "
            "corrections included; the money paid per support type is what the Allowances page "
            "shows for the same cases and days."
        ),
        _("Training: enrolments referred, completed or dropped out in the period."),
        _(
            "Placements: jobs started in the period. Retention: of those jobs, the ones whose "
            "mark (months after the start) came by %(day)s, and of these the ones still held on "
            "the mark.",
            day=day(as_of),
        ),
        _("Follow-ups: planned for or done in the period."),
        _(
            "With names and contacts, at the request of a user who gave a reason, kept in the "
            "audit log. Keep this file safe and delete it when it has served."
        )
        if filters.names
        else _(
            "Case codes only: no names, contacts or notes about the person. Notes on the "
            "trafficking are never exported."
        ),
    ]


def write_summary(
    sheet: SummarySheet,
    filters: Filters,
    ref: Reference,
    tally: Tally,
    paid: list[tuple[SupportType, int]],
    today: date,
) -> None:
    people, count = [_("People")], [Kind.COUNT]
    sheet.heading(_("Support workbook"))
    sheet.line(_("Province or facility"), filters.place)
    sheet.line(_("From"), filters.start, Kind.DAY)
    sheet.line(_("To"), filters.end, Kind.DAY)
    sheet.line(_("Made on"), today, Kind.DAY)
    sheet.blank()
    sheet.table(_("People received, by sex"), people, [(s.label, tally.sex[s]) for s in Sex], count)
    sheet.table(_("By age group"), people, _bands(tally.age_group, AGE_GROUPS), count)
    sheet.table(_("By CTDC age band"), people, _bands(tally.ctdc_band, CTDC_BANDS), count)
    sheet.table(
        _("By form of exploitation"), people, _listed(tally.forms, ref.items), count, total=False
    )
    sheet.table(_("By country of exploitation"), people, _listed(tally.countries, ref.items), count)
    sheet.table(_("By how the person returned"), people, _listed(tally.routes, ref.items), count)
    sheet.table(_("By home province"), people, _listed(tally.homes, ref.provinces), count)
    sheet.table(
        _("Services by support type"),
        [_("Services"), _("Cost")],
        _services(tally, ref),
        [Kind.COUNT, Kind.MONEY],
    )
    sheet.table(
        _("Money paid by support type"),
        [_("Paid")],
        [(support_type.title, amount) for support_type, amount in paid],
        [Kind.MONEY],
    )
    sheet.table(
        _("Training"),
        [_("Enrolments")],
        [
            (_("Referred"), tally.training["referred"]),
            (_("Completed"), tally.training["completed"]),
            (_("Dropped out"), tally.training["dropped_out"]),
        ],
        count,
        total=False,
    )
    sheet.table(
        _("Placements"),
        [_("Jobs")],
        [
            (_("Started in the period"), tally.jobs["started"]),
            (_("Outside the person's home province"), tally.jobs["outside_home"]),
            (_("With housing support"), tally.jobs["housing"]),
        ],
        count,
        total=False,
    )
    sheet.shares(
        _("Retention of the jobs started in the period"),
        [_("Reached the mark"), _("Still in the job"), _("Share")],
        [
            (
                _("%(months)s months after the start", months=months),
                tally.retention_due[months],
                tally.retention_kept[months],
            )
            for months in RETENTION_MONTHS
        ],
    )
    sheet.table(
        _("Follow-ups"),
        [_("Follow-ups")],
        [
            (_("Planned in the period"), tally.followups["planned"]),
            (_("Done in the period"), tally.followups["done"]),
            (_("Contact made"), tally.followups["contact_made"]),
            (_("Risk signs found"), tally.followups["risk_signs"]),
        ],
        count,
        total=False,
    )
    sheet.heading(_("Notes"))
    for text in _notes(filters, tally.as_of):
        sheet.note(text)
