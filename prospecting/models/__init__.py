"""SQLAlchemy models, one module per area."""

from prospecting.models.accounts import ApiToken
from prospecting.models.accounts import Invitation
from prospecting.models.accounts import Membership
from prospecting.models.accounts import User
from prospecting.models.accounts import Workspace
from prospecting.models.audit import AuditEvent
from prospecting.models.contacts import AirtableSettings
from prospecting.models.contacts import Company
from prospecting.models.contacts import Contact
from prospecting.models.contacts import ContactCompany
from prospecting.models.contacts import ContactEmail
from prospecting.models.contacts import ContactMerge
from prospecting.models.contacts import ContactPhone
from prospecting.models.contacts import ContactSource
from prospecting.models.contacts import Suppression
from prospecting.models.enrichment import EnrichmentPage
from prospecting.models.enrichment import EnrichmentRow
from prospecting.models.enrichment import EnrichmentSettings
from prospecting.models.enrichment import Upload
from prospecting.models.jobs import Job
from prospecting.models.jobs import JobBatch
from prospecting.models.ledger import CacheHit
from prospecting.models.ledger import WorkspaceBudget
from prospecting.models.lists import CompanyTag
from prospecting.models.lists import ContactList
from prospecting.models.lists import ContactTag
from prospecting.models.lists import ListMember
from prospecting.models.ops import PeriodicRun
from prospecting.models.ops import WorkerHeartbeat
from prospecting.models.outreach import CrawlLog
from prospecting.models.outreach import Creator
from prospecting.models.outreach import MessageLog
from prospecting.models.outreach import MessageSchedule
from prospecting.models.outreach import OutreachRule
from prospecting.models.outreach import OutreachTask
from prospecting.models.outreach import Product
from prospecting.models.outreach import Sample
from prospecting.models.outreach import SampleContent
from prospecting.models.prospects import LinkedInAccount
from prospecting.models.prospects import Prospect
from prospecting.models.providers import ProviderCache
from prospecting.models.providers import ProviderCall
from prospecting.models.searches import PeopleSearch
from prospecting.models.searches import PersonProfile
from prospecting.models.searches import ProxyHealth
from prospecting.models.searches import SavedSearch
from prospecting.models.webhooks import WebhookAttempt
from prospecting.models.webhooks import WebhookDelivery
from prospecting.models.webhooks import WebhookEndpoint

__all__ = [
    "AirtableSettings",
    "AuditEvent",
    "ContactMerge",
    "Suppression",
    "Company",
    "Contact",
    "ContactCompany",
    "ContactEmail",
    "ContactPhone",
    "ContactSource",
    "CompanyTag",
    "ContactList",
    "ContactTag",
    "ListMember",
    "LinkedInAccount",
    "Prospect",
    "PeopleSearch",
    "PersonProfile",
    "ProxyHealth",
    "SavedSearch",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "CrawlLog",
    "Creator",
    "MessageLog",
    "MessageSchedule",
    "OutreachRule",
    "OutreachTask",
    "Product",
    "Sample",
    "SampleContent",
    "ApiToken",
    "Invitation",
    "EnrichmentPage",
    "EnrichmentRow",
    "EnrichmentSettings",
    "Job",
    "JobBatch",
    "PeriodicRun",
    "WorkerHeartbeat",
    "Membership",
    "ProviderCache",
    "ProviderCall",
    "Upload",
    "User",
    "Workspace",
    "CacheHit",
    "WorkspaceBudget",
]
