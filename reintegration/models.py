"""Imports every model so that metadata (and migrations) see all tables."""

from .audit import services as audit_hooks  # noqa: F401  (before any mapper is configured)
from .audit.models import AuditEntry
from .auth.models import User
from .cases.models import Case, CaseCodeCounter
from .reference.models import (
    Commune,
    Entitlement,
    ListItem,
    Province,
    ServiceKind,
    SupportType,
)
from .shelter.models import Facility, Service, Stay, StayExtension

__all__ = [
    "AuditEntry",
    "Case",
    "CaseCodeCounter",
    "Commune",
    "Entitlement",
    "Facility",
    "ListItem",
    "Province",
    "Service",
    "ServiceKind",
    "Stay",
    "StayExtension",
    "SupportType",
    "User",
]
