"""All tables, imported once so SQLModel.metadata (and Alembic) sees every one."""

from crm_app.models.agenda import Calendar, CalendarFeed, CalendarKind
from crm_app.models.automation import AutomationRule, AutomationRun, OutboxEvent
from crm_app.models.base import utcnow
from crm_app.models.crm import (
    Account,
    Contact,
    CustomFieldDef,
    CustomFieldType,
    Lead,
    LeadStatus,
    SavedView,
)
from crm_app.models.sales import (
    Opportunity,
    Pipeline,
    Product,
    Quote,
    QuoteLine,
    QuoteStatus,
    Stage,
    StageChange,
    StageKind,
)
from crm_app.models.users import (
    ApiToken,
    LoginChallenge,
    Organisation,
    PasswordReset,
    RecoveryCode,
    Role,
    Team,
    User,
    UserInvitation,
    UserSession,
)
from crm_app.models.work import (
    Activity,
    ActivityKind,
    Alert,
    AssignmentAction,
    AssignmentRule,
    AuditEvent,
    Document,
    ImportBatch,
    ImportStatus,
    ImportTemplate,
    NotificationPreference,
    PushSubscription,
    ReportSchedule,
)

OWNED_MODELS = (Lead, Account, Contact, Opportunity, StageChange, Quote, Activity, Document, Alert)

__all__ = [
    "OWNED_MODELS", "Account", "Activity", "ActivityKind", "Alert", "ApiToken",
    "AssignmentAction", "AssignmentRule", "AuditEvent", "AutomationRule", "AutomationRun",
    "Calendar", "CalendarFeed", "CalendarKind", "Contact", "CustomFieldDef", "CustomFieldType",
    "Document", "ImportBatch", "ImportStatus", "ImportTemplate", "Lead", "LeadStatus",
    "LoginChallenge", "NotificationPreference", "Opportunity", "Organisation", "OutboxEvent",
    "PasswordReset", "Pipeline", "Product", "PushSubscription", "Quote", "QuoteLine",
    "QuoteStatus", "RecoveryCode", "ReportSchedule", "Role", "SavedView", "Stage",
    "StageChange", "StageKind", "Team", "User", "UserInvitation", "UserSession", "utcnow",
]
