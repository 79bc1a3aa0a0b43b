"""The contacts area: companies and one de-duplicated contact book per workspace,
fed by enrichment jobs, people searches and the contact fetch by CIN.

Callers use the names below (`contacts.upsert_contacts(...)`); the fetch kind is
registered in `kinds`.
"""

from prospecting.services.contacts.book import ContactInput
from prospecting.services.contacts.book import UpsertItem
from prospecting.services.contacts.book import UpsertReport
from prospecting.services.contacts.book import get_contact
from prospecting.services.contacts.book import search_contacts
from prospecting.services.contacts.book import update_contact
from prospecting.services.contacts.book import upsert_contacts
from prospecting.services.contacts.companies import company_by_registration
from prospecting.services.contacts.companies import company_for
from prospecting.services.contacts.companies import get_company
from prospecting.services.contacts.companies import list_companies
from prospecting.services.contacts.companies import save_company
from prospecting.services.contacts.fetch import KIND_FETCH
from prospecting.services.contacts.fetch import FetchReport
from prospecting.services.contacts.fetch import cap_max_contacts
from prospecting.services.contacts.fetch import fetch_contacts
from prospecting.services.contacts.fetch import fetch_outcomes
from prospecting.services.contacts.fetch import start_fetch
from prospecting.services.contacts.imports import import_enrichment
from prospecting.services.contacts.imports import import_people_search
from prospecting.services.contacts.normalise import normalise_domain
from prospecting.services.contacts.normalise import normalise_email
from prospecting.services.contacts.normalise import normalise_phone
from prospecting.services.contacts.normalise import normalise_registration
from prospecting.services.contacts.sync_state import SYNC_STATES
from prospecting.services.contacts.sync_state import sync_filter

__all__ = [
    "KIND_FETCH",
    "SYNC_STATES",
    "ContactInput",
    "FetchReport",
    "UpsertItem",
    "UpsertReport",
    "cap_max_contacts",
    "company_by_registration",
    "company_for",
    "fetch_contacts",
    "fetch_outcomes",
    "get_company",
    "get_contact",
    "import_enrichment",
    "import_people_search",
    "list_companies",
    "normalise_domain",
    "normalise_email",
    "normalise_phone",
    "normalise_registration",
    "save_company",
    "search_contacts",
    "start_fetch",
    "sync_filter",
    "update_contact",
    "upsert_contacts",
]
