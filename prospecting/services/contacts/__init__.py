"""The contacts area: companies and one de-duplicated contact book per workspace,
fed by enrichment jobs, people searches and the contact fetch by CIN, and synced
to the workspace's Airtable base.

Callers use the names below (`contacts.upsert_contacts(...)`). The Airtable sync
job's kind and batch names stay in its module (`airtable_sync.KIND`), where they
do not read as the contact book's; both kinds are registered in `kinds`.
"""

from prospecting.services.contacts.airtable_records import SyncCounts
from prospecting.services.contacts.airtable_schema import SchemaReport
from prospecting.services.contacts.airtable_schema import (
    check_workspace as check_schema,
)
from prospecting.services.contacts.airtable_schema import unmap_missing
from prospecting.services.contacts.airtable_settings import COMPANY_FIELDS
from prospecting.services.contacts.airtable_settings import COMPANY_MERGE_FIELDS
from prospecting.services.contacts.airtable_settings import CONTACT_FIELDS
from prospecting.services.contacts.airtable_settings import CONTACT_MERGE_FIELDS
from prospecting.services.contacts.airtable_settings import AirtableNotConfigured
from prospecting.services.contacts.airtable_settings import Connection
from prospecting.services.contacts.airtable_settings import connection
from prospecting.services.contacts.airtable_settings import get_settings
from prospecting.services.contacts.airtable_settings import save_settings
from prospecting.services.contacts.airtable_settings import settings_for_form
from prospecting.services.contacts.airtable_sync import due_periodic_syncs
from prospecting.services.contacts.airtable_sync import open_sync
from prospecting.services.contacts.airtable_sync import start_sync
from prospecting.services.contacts.airtable_sync import sync_now
from prospecting.services.contacts.book import ContactInput
from prospecting.services.contacts.book import UpsertItem
from prospecting.services.contacts.book import UpsertReport
from prospecting.services.contacts.book import delete_contact
from prospecting.services.contacts.book import get_contact
from prospecting.services.contacts.book import update_contact
from prospecting.services.contacts.companies import company_by_registration
from prospecting.services.contacts.companies import company_choices
from prospecting.services.contacts.companies import company_contacts
from prospecting.services.contacts.companies import company_for
from prospecting.services.contacts.companies import get_company
from prospecting.services.contacts.companies import page_companies
from prospecting.services.contacts.companies import save_company
from prospecting.services.contacts.fetch import KIND_FETCH
from prospecting.services.contacts.fetch import FetchReport
from prospecting.services.contacts.fetch import cap_max_contacts
from prospecting.services.contacts.fetch import fetch_by_registration
from prospecting.services.contacts.fetch import fetch_contacts
from prospecting.services.contacts.fetch import fetch_outcomes
from prospecting.services.contacts.fetch import start_fetch
from prospecting.services.contacts.files import read_book_rows
from prospecting.services.contacts.gate import RULES as GATE_RULES
from prospecting.services.contacts.imports import KEPT_OUT_COLUMNS
from prospecting.services.contacts.imports import KIND as KIND_IMPORT
from prospecting.services.contacts.imports import SOURCES as IMPORT_SOURCES
from prospecting.services.contacts.imports import count_rows as count_import_rows
from prospecting.services.contacts.imports import import_summary
from prospecting.services.contacts.imports import kept_out_rows
from prospecting.services.contacts.imports import start_import
from prospecting.services.contacts.normalise import normalise_domain
from prospecting.services.contacts.normalise import normalise_email
from prospecting.services.contacts.normalise import normalise_phone
from prospecting.services.contacts.normalise import normalise_registration
from prospecting.services.contacts.query import COUNT_CAP
from prospecting.services.contacts.query import SORTS
from prospecting.services.contacts.query import SOURCES
from prospecting.services.contacts.query import VERDICTS
from prospecting.services.contacts.query import ContactFilter
from prospecting.services.contacts.query import contacts_query
from prospecting.services.contacts.query import list_contacts
from prospecting.services.contacts.query import page_of_contacts
from prospecting.services.contacts.query import search_contacts
from prospecting.services.contacts.strategy import STRATEGIES as UPDATE_STRATEGIES
from prospecting.services.contacts.sync_results import SyncRow
from prospecting.services.contacts.sync_results import sync_counts
from prospecting.services.contacts.sync_results import sync_results
from prospecting.services.contacts.sync_state import SYNC_STATES
from prospecting.services.contacts.sync_state import CompanyStats
from prospecting.services.contacts.sync_state import companies_in_state
from prospecting.services.contacts.sync_state import contacts_in_state
from prospecting.services.contacts.sync_state import stats_by_company
from prospecting.services.contacts.sync_state import stats_page
from prospecting.services.contacts.sync_state import sync_filter
from prospecting.services.contacts.upsert import add_contact
from prospecting.services.contacts.upsert import upsert_contacts

__all__ = [
    "SyncRow",
    "sync_counts",
    "sync_results",
    "SchemaReport",
    "check_schema",
    "unmap_missing",
    "COMPANY_FIELDS",
    "COMPANY_MERGE_FIELDS",
    "CONTACT_FIELDS",
    "CONTACT_MERGE_FIELDS",
    "GATE_RULES",
    "IMPORT_SOURCES",
    "KEPT_OUT_COLUMNS",
    "KIND_FETCH",
    "KIND_IMPORT",
    "COUNT_CAP",
    "SORTS",
    "SOURCES",
    "SYNC_STATES",
    "VERDICTS",
    "UPDATE_STRATEGIES",
    "AirtableNotConfigured",
    "CompanyStats",
    "Connection",
    "ContactFilter",
    "ContactInput",
    "FetchReport",
    "SyncCounts",
    "UpsertItem",
    "UpsertReport",
    "add_contact",
    "cap_max_contacts",
    "companies_in_state",
    "company_by_registration",
    "company_contacts",
    "page_companies",
    "company_for",
    "connection",
    "contacts_query",
    "delete_contact",
    "list_contacts",
    "page_of_contacts",
    "contacts_in_state",
    "due_periodic_syncs",
    "fetch_by_registration",
    "fetch_contacts",
    "fetch_outcomes",
    "get_company",
    "get_contact",
    "get_settings",
    "count_import_rows",
    "import_summary",
    "kept_out_rows",
    "read_book_rows",
    "start_import",
    "company_choices",
    "normalise_domain",
    "normalise_email",
    "normalise_phone",
    "normalise_registration",
    "open_sync",
    "save_company",
    "save_settings",
    "search_contacts",
    "settings_for_form",
    "start_fetch",
    "start_sync",
    "stats_by_company",
    "stats_page",
    "sync_filter",
    "sync_now",
    "update_contact",
    "upsert_contacts",
]
