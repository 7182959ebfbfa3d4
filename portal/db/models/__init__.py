"""The tables, one per module. Migrations never import these (they describe history, not now)."""

from portal.db.models.alert import Alert, AlertChannel, AlertDelivery, AlertRule, ChannelKind, Condition
from portal.db.models.audit_event import AuditEvent
from portal.db.models.base import Base, CustomerOwned
from portal.db.models.baseline import Baseline
from portal.db.models.billing import (
    BillingChange,
    Invoice,
    InvoiceLine,
    RateCardRow,
    ServiceTierName,
    TenantDirectory,
    TenantSelection,
    TierPrice,
)
from portal.db.models.branding import Branding
from portal.db.models.check_result import CheckResultRow
from portal.db.models.customer import AccessTier, ConnectionState, Customer
from portal.db.models.finding_change import ChangeKind, FindingChange
from portal.db.models.latest_result import LatestResult
from portal.db.models.membership import Membership, Role
from portal.db.models.msp import Msp
from portal.db.models.report import Report
from portal.db.models.reverify_run import ReverifyRun
from portal.db.models.risk_acceptance import RiskAcceptance
from portal.db.models.saved_search import SavedSearch
from portal.db.models.scan import Scan, ScanStatus, ScanTrigger
from portal.db.models.score_history import ScoreHistory
from portal.db.models.summary import SummaryDelivery, SummarySend, SummarySetting, SummaryUnsubscribe
from portal.db.models.user import User

__all__ = [
    "AccessTier",
    "Alert",
    "AlertChannel",
    "AlertDelivery",
    "AlertRule",
    "AuditEvent",
    "Base",
    "Baseline",
    "BillingChange",
    "Branding",
    "ChangeKind",
    "ChannelKind",
    "CheckResultRow",
    "Condition",
    "ConnectionState",
    "Customer",
    "CustomerOwned",
    "FindingChange",
    "Invoice",
    "InvoiceLine",
    "LatestResult",
    "Membership",
    "Msp",
    "RateCardRow",
    "Report",
    "ReverifyRun",
    "RiskAcceptance",
    "Role",
    "SavedSearch",
    "Scan",
    "ScanStatus",
    "ScanTrigger",
    "ScoreHistory",
    "ServiceTierName",
    "SummaryDelivery",
    "SummarySend",
    "SummarySetting",
    "SummaryUnsubscribe",
    "TenantDirectory",
    "TenantSelection",
    "TierPrice",
    "User",
]
