"""Imports every model so that metadata (and migrations) see all tables."""

from . import versions  # noqa: F401  (its flush hook counts the edits of versioned records)
from .allowances.models import Allowance, Payment
from .audit import services as audit_hooks  # noqa: F401  (before any mapper is configured)
from .audit.models import AuditEntry
from .auth.models import User
from .auth.session_models import UserSession
from .auth.throttle_models import GuessCount
from .auth.totp_models import RecoveryCode, SecondFactor
from .cases.models import Case, CaseCodeCounter, Closure
from .employers.models import Employer, EmployerCheck
from .employment.models import Placement
from .exports.models import ExportJob, ExportJobPart
from .followups.models import FollowUp, Indicator, IndicatorAnswer, RiskFlag, SustainabilityCheck
from .imports.models import ImportPreview
from .keys.models import DataKeyRecord, SearchToken
from .operations.models import TaskRun
from .plans.models import Goal, Plan
from .reference.models import (
    Commune,
    Entitlement,
    ListItem,
    Province,
    ServiceKind,
    SupportType,
)
from .reminders.models import (
    DigestDelivery,
    Reminder,
    ReminderMark,
    ReminderRule,
    RuleRole,
    scheduler_jobs,
)
from .shelter.models import Facility, Service, Stay, StayExtension
from .submissions import Submission
from .support.models import AllowanceKind, AllowanceRule, AssistanceLevel, Holiday
from .training.models import Attendance, Course, Enrolment, TrainingSession

__all__ = [
    "Allowance",
    "AllowanceKind",
    "AllowanceRule",
    "AssistanceLevel",
    "Attendance",
    "AuditEntry",
    "Case",
    "CaseCodeCounter",
    "Closure",
    "Commune",
    "Course",
    "DataKeyRecord",
    "DigestDelivery",
    "Employer",
    "EmployerCheck",
    "Enrolment",
    "Entitlement",
    "ExportJob",
    "ExportJobPart",
    "Facility",
    "FollowUp",
    "Goal",
    "GuessCount",
    "Holiday",
    "ImportPreview",
    "Indicator",
    "IndicatorAnswer",
    "ListItem",
    "Payment",
    "Placement",
    "Plan",
    "Province",
    "RecoveryCode",
    "Reminder",
    "ReminderMark",
    "ReminderRule",
    "RiskFlag",
    "RuleRole",
    "SearchToken",
    "SecondFactor",
    "Service",
    "ServiceKind",
    "Stay",
    "StayExtension",
    "Submission",
    "SupportType",
    "SustainabilityCheck",
    "TaskRun",
    "TrainingSession",
    "User",
    "UserSession",
    "scheduler_jobs",
]
