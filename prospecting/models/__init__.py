"""SQLAlchemy models, one module per area."""

from prospecting.models.accounts import ApiToken
from prospecting.models.accounts import Membership
from prospecting.models.accounts import User
from prospecting.models.accounts import Workspace
from prospecting.models.enrichment import EnrichmentRow
from prospecting.models.enrichment import Upload
from prospecting.models.jobs import Job
from prospecting.models.jobs import JobBatch
from prospecting.models.providers import ProviderCache
from prospecting.models.providers import ProviderCall

__all__ = [
    "ApiToken",
    "EnrichmentRow",
    "Job",
    "JobBatch",
    "Membership",
    "ProviderCache",
    "ProviderCall",
    "Upload",
    "User",
    "Workspace",
]
