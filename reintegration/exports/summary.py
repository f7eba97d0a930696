"""The summary sheet of the support workbook.

Its counts are tallied from the very rows written to the sheets, so a reader can find every
number again with a filter; the money paid per support type comes from the query of the
Allowances page.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _

from ..cases.models import Sex
from ..dates import add_months
from ..employment.models import still_held
from ..employment.queries import RETENTION_MONTHS
from ..formatting import day
from ..reference.models import SupportType
from .bands import AGE_GROUPS, CTDC_BANDS, age_at_reception, band, band_label
from .filters import Filters
from .names import Reference
from .workbook import Kind, SummarySheet


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
    return [_scope_note(filters), *_period_notes(as_of), _privacy_note(filters)]


def _scope_note(filters: Filters) -> str:
    if filters.facility is not None:
        return _("The cases of a facility are those it manages.")
    return _(
        "The cases of a province are those managed in the province and those whose home "
        "province it is, as its officers see them."
    )


def _privacy_note(filters: Filters) -> str:
    if filters.names:
        return _(
            "With names and contacts, at the request of a user who gave a reason, kept in the "
            "audit log. Keep this file safe and delete it when it has served."
        )
    return _(
        "Case codes only: no names, contacts or notes about the person. Notes on the "
        "trafficking are never exported."
    )


def _period_notes(as_of: date) -> list[str]:
    """What each table counts of the period."""
    return [
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
    ]


def write_summary(
    sheet: SummarySheet,
    filters: Filters,
    ref: Reference,
    tally: Tally,
    paid: list[tuple[SupportType, int]],
    today: date,
) -> None:
    sheet.heading(_("Support workbook"))
    sheet.line(_("Province or facility"), filters.place)
    sheet.line(_("From"), filters.start, Kind.DAY)
    sheet.line(_("To"), filters.end, Kind.DAY)
    sheet.line(_("Made on"), today, Kind.DAY)
    sheet.blank()
    _people_received(sheet, ref, tally)
    _money(sheet, ref, tally, paid)
    _training_and_jobs(sheet, tally)
    _followups(sheet, tally)
    sheet.heading(_("Notes"))
    for text in _notes(filters, tally.as_of):
        sheet.note(text)


def _people_received(sheet: SummarySheet, ref: Reference, tally: Tally) -> None:
    people, count = [_("People")], [Kind.COUNT]
    sheet.table(_("People received, by sex"), people, [(s.label, tally.sex[s]) for s in Sex], count)
    sheet.table(_("By age group"), people, _bands(tally.age_group, AGE_GROUPS), count)
    sheet.table(_("By CTDC age band"), people, _bands(tally.ctdc_band, CTDC_BANDS), count)
    sheet.table(
        _("By form of exploitation"), people, _listed(tally.forms, ref.items), count, total=False
    )
    sheet.table(_("By country of exploitation"), people, _listed(tally.countries, ref.items), count)
    sheet.table(_("By how the person returned"), people, _listed(tally.routes, ref.items), count)
    sheet.table(_("By home province"), people, _listed(tally.homes, ref.provinces), count)


def _money(
    sheet: SummarySheet, ref: Reference, tally: Tally, paid: list[tuple[SupportType, int]]
) -> None:
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


def _training_and_jobs(sheet: SummarySheet, tally: Tally) -> None:
    sheet.table(
        _("Training"),
        [_("Enrolments")],
        [
            (_("Referred"), tally.training["referred"]),
            (_("Completed"), tally.training["completed"]),
            (_("Dropped out"), tally.training["dropped_out"]),
        ],
        [Kind.COUNT],
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
        [Kind.COUNT],
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


def _followups(sheet: SummarySheet, tally: Tally) -> None:
    sheet.table(
        _("Follow-ups"),
        [_("Follow-ups")],
        [
            (_("Planned in the period"), tally.followups["planned"]),
            (_("Done in the period"), tally.followups["done"]),
            (_("Contact made"), tally.followups["contact_made"]),
            (_("Risk signs found"), tally.followups["risk_signs"]),
        ],
        [Kind.COUNT],
        total=False,
    )
