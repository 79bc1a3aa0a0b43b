"""Creator outreach: crawlers post creators, samples and outreach tasks (ingest,
upserts, schemas); a rule per sample status plans a message and its reminders
(rulebook, schedules); the publisher turns due schedules into messages and packs
them into dispatch jobs (publisher, chat), whose batches send them within caps and
quiet hours (dispatch, caps); the pages read it all (pages).

Callers use the functions below as `outreach.X`; the ingestion API's request
bodies are in `prospecting.services.outreach.schemas`."""

from prospecting.services.outreach.caps import quiet_until
from prospecting.services.outreach.chat import queue_chat
from prospecting.services.outreach.dispatch import KIND
from prospecting.services.outreach.ingest import ingest_creators
from prospecting.services.outreach.ingest import ingest_samples
from prospecting.services.outreach.ingest import ingest_task
from prospecting.services.outreach.pages import counts
from prospecting.services.outreach.pages import creator_samples
from prospecting.services.outreach.pages import get_creator
from prospecting.services.outreach.pages import get_task
from prospecting.services.outreach.pages import messages_query
from prospecting.services.outreach.pages import sample_facets
from prospecting.services.outreach.pages import samples_query
from prospecting.services.outreach.pages import schedules_query
from prospecting.services.outreach.pages import search_creators
from prospecting.services.outreach.pages import tasks_query
from prospecting.services.outreach.pages import upcoming
from prospecting.services.outreach.publisher import materialise_due
from prospecting.services.outreach.publisher import publish
from prospecting.services.outreach.publisher import recover_orphans
from prospecting.services.outreach.rulebook import delete_rule
from prospecting.services.outreach.rulebook import get_rule
from prospecting.services.outreach.rulebook import normalise_status
from prospecting.services.outreach.rulebook import pending_of
from prospecting.services.outreach.rulebook import reach
from prospecting.services.outreach.rulebook import rules
from prospecting.services.outreach.rulebook import save_rule
from prospecting.services.outreach.rulebook import status_counts

__all__ = [
    "KIND",
    "counts",
    "creator_samples",
    "delete_rule",
    "get_creator",
    "get_rule",
    "get_task",
    "ingest_creators",
    "ingest_samples",
    "ingest_task",
    "materialise_due",
    "normalise_status",
    "pending_of",
    "messages_query",
    "publish",
    "queue_chat",
    "quiet_until",
    "reach",
    "recover_orphans",
    "rules",
    "sample_facets",
    "samples_query",
    "save_rule",
    "schedules_query",
    "search_creators",
    "status_counts",
    "tasks_query",
    "upcoming",
]
