"""People search at the async batch provider (ReachStream): the filter, the search
job and its submit-and-poll step, the stored profiles and their export, saved
searches, and the health of the provider proxies."""

from prospecting.services.searches.filters import DEFAULT_FETCH
from prospecting.services.searches.filters import normalise_filter
from prospecting.services.searches.filters import parse_fetch_count
from prospecting.services.searches.filters import split_values
from prospecting.services.searches.health import proxy_health
from prospecting.services.searches.profiles import SORTS
from prospecting.services.searches.profiles import export_lines
from prospecting.services.searches.profiles import profiles_page
from prospecting.services.searches.runs import KIND
from prospecting.services.searches.runs import STEP
from prospecting.services.searches.runs import get
from prospecting.services.searches.runs import recent
from prospecting.services.searches.runs import start
from prospecting.services.searches.saved import delete_saved
from prospecting.services.searches.saved import run_saved
from prospecting.services.searches.saved import save
from prospecting.services.searches.saved import saved_searches
from prospecting.services.searches.steps import poll_delay
from prospecting.services.searches.steps import stranded_batches

__all__ = [
    "DEFAULT_FETCH",
    "KIND",
    "SORTS",
    "STEP",
    "delete_saved",
    "export_lines",
    "get",
    "normalise_filter",
    "parse_fetch_count",
    "poll_delay",
    "profiles_page",
    "proxy_health",
    "recent",
    "run_saved",
    "save",
    "saved_searches",
    "split_values",
    "start",
    "stranded_batches",
]
