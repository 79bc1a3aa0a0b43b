"""LinkedIn prospect search (Unipile): the connected account, the criteria and
estimates of a search, its job walking cursor pages (one page per job batch, each
prospect stored once per job and provider id), and its results and export."""

from prospecting.services.prospects.account import check_account
from prospecting.services.prospects.account import credentials
from prospecting.services.prospects.account import disconnect
from prospecting.services.prospects.account import get_account
from prospecting.services.prospects.account import remove_account
from prospecting.services.prospects.account import save_account
from prospecting.services.prospects.account import search_locations
from prospecting.services.prospects.criteria import API_LABELS
from prospecting.services.prospects.criteria import HEADCOUNTS
from prospecting.services.prospects.criteria import cap
from prospecting.services.prospects.criteria import default_api
from prospecting.services.prospects.criteria import estimate
from prospecting.services.prospects.results import count
from prospecting.services.prospects.results import export_lines
from prospecting.services.prospects.results import prospects_page
from prospecting.services.prospects.runs import KIND
from prospecting.services.prospects.runs import PAGE
from prospecting.services.prospects.runs import create_job
from prospecting.services.prospects.runs import get_job

__all__ = [
    "API_LABELS",
    "HEADCOUNTS",
    "KIND",
    "PAGE",
    "cap",
    "check_account",
    "count",
    "create_job",
    "credentials",
    "default_api",
    "disconnect",
    "estimate",
    "export_lines",
    "get_account",
    "get_job",
    "prospects_page",
    "remove_account",
    "save_account",
    "search_locations",
]
