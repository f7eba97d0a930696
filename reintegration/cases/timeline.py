"""One timeline of everything that happened to a person, newest first."""

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _

from .. import clock
from ..formatting import day, money
from .models import Case


@dataclass(order=True)
class Event:
    on: date
    order: int
    kind: str = field(compare=False)
    title: str = field(compare=False)
    detail: str = field(compare=False, default="")


def _stay_events(stay) -> list[Event]:
    events = [
        Event(
            stay.admitted_on,
            2,
            "admission",
            _("Admitted to %(facility)s", facility=stay.facility.name),
            _("Planned stay until %(day)s", day=day(stay.planned_end)),
        )
    ]
    for extension in stay.extensions:
        events.append(
            Event(
                clock.local(extension.created_at).date(),
                3,
                "extension",
                _("Stay extended to %(day)s", day=day(extension.new_end)),
                _(
                    "Approved by %(approver)s. Reason: %(reason)s",
                    approver=extension.approved_by,
                    reason=extension.reason,
                ),
            )
        )
    if stay.discharged_on:
        events.append(
            Event(
                stay.discharged_on,
                5,
                "discharge",
                _("Discharged: %(destination)s", destination=stay.destination or ""),
                stay.destination_address,
            )
        )
    return events


def timeline(case: Case) -> list[Event]:
    events = [
        Event(
            case.received_on,
            0,
            "reception",
            _("Received by %(agency)s", agency=case.receiving_agency),
            str(case.return_route or ""),
        )
    ]
    if case.consent_date:
        events.append(
            Event(
                case.consent_date,
                1,
                "consent",
                _("Consent given") if case.consent_given else _("Consent refused"),
            )
        )
    for stay in case.stays:
        events.extend(_stay_events(stay))
    events.extend(_service_event(service) for service in case.services)
    for closure in case.closures:
        events.extend(_closure_events(closure))
    return sorted(events, reverse=True)


def _service_event(service) -> Event:
    detail = service.provider
    if service.cost:
        detail = f"{detail} · {money(service.cost)}"
    return Event(
        service.provided_on,
        4,
        "service",
        f"{service.kind.name} ({service.support_type.letter})",
        detail,
    )


def _closure_events(closure) -> list[Event]:
    """The closing of a case, and its reopening if it was reopened."""
    events = [
        Event(
            closure.closed_on,
            8,
            "closure",
            _("Case closed: %(outcome)s", outcome=closure.outcome.label),
            "",
        )
    ]
    if closure.reopened_on:
        events.append(
            Event(closure.reopened_on, 9, "reopening", _("Case reopened"), closure.reopen_reason)
        )
    return events
