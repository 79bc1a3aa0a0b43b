"""Lists and tags of the contact book: static lists (members added by bulk
selection), smart lists (a saved filter of the book, evaluated when read), the
built-in "Went bad" list, tags on contacts and companies, and bulk actions."""

from prospecting.services.lists import bulk
from prospecting.services.lists import filters
from prospecting.services.lists.bulk import ACTIONS
from prospecting.services.lists.bulk import INLINE_LIMIT
from prospecting.services.lists.bulk import KIND
from prospecting.services.lists.bulk import Outcome
from prospecting.services.lists.bulk import delete_contacts
from prospecting.services.lists.bulk import reverify_estimate
from prospecting.services.lists.bulk import run
from prospecting.services.lists.exports import export_table
from prospecting.services.lists.imports import start_import_to_list
from prospecting.services.lists.lists import WENT_BAD
from prospecting.services.lists.lists import count_members
from prospecting.services.lists.lists import create_list
from prospecting.services.lists.lists import delete_list
from prospecting.services.lists.lists import ensure_went_bad
from prospecting.services.lists.lists import get_list
from prospecting.services.lists.lists import lists_of
from prospecting.services.lists.lists import member_ids_query
from prospecting.services.lists.lists import members_filter
from prospecting.services.lists.lists import static_lists
from prospecting.services.lists.lists import update_list
from prospecting.services.lists.members import add_members
from prospecting.services.lists.members import check_ids
from prospecting.services.lists.members import remove_members
from prospecting.services.lists.members import selected_ids
from prospecting.services.lists.tags import clean_tags
from prospecting.services.lists.tags import company_tags
from prospecting.services.lists.tags import contact_tags
from prospecting.services.lists.tags import parse_tag_text
from prospecting.services.lists.tags import set_company_tags
from prospecting.services.lists.tags import set_contact_tags
from prospecting.services.lists.tags import tag_contacts
from prospecting.services.lists.tags import tags_in_use
from prospecting.services.lists.tags import untag_contacts

__all__ = [
    "ACTIONS",
    "INLINE_LIMIT",
    "KIND",
    "WENT_BAD",
    "Outcome",
    "add_members",
    "bulk",
    "check_ids",
    "clean_tags",
    "company_tags",
    "contact_tags",
    "count_members",
    "create_list",
    "delete_contacts",
    "delete_list",
    "ensure_went_bad",
    "export_table",
    "filters",
    "get_list",
    "lists_of",
    "member_ids_query",
    "members_filter",
    "parse_tag_text",
    "remove_members",
    "reverify_estimate",
    "run",
    "selected_ids",
    "set_company_tags",
    "set_contact_tags",
    "start_import_to_list",
    "static_lists",
    "tag_contacts",
    "tags_in_use",
    "untag_contacts",
    "update_list",
]
