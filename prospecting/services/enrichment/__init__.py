"""CSV enrichment: uploads and their previews, the cost estimate, the planner that
cuts a file into row batches, the worker that verifies and enriches rows, results,
exports and re-runs. The job kind is registered in `kinds`."""

from prospecting.services.enrichment.conditions import EMPTY_FIELDS
from prospecting.services.enrichment.conditions import RerunConditions
from prospecting.services.enrichment.conditions import rerun_conditions
from prospecting.services.enrichment.conditions import rerun_estimate
from prospecting.services.enrichment.estimate import CostEstimate
from prospecting.services.enrichment.estimate import estimate_cost
from prospecting.services.enrichment.exports import EXPORT_COLUMNS
from prospecting.services.enrichment.exports import columns_of
from prospecting.services.enrichment.exports import export_lines
from prospecting.services.enrichment.exports import export_table
from prospecting.services.enrichment.planner import ROWS
from prospecting.services.enrichment.planner import plan
from prospecting.services.enrichment.reruns import rerun_exactly
from prospecting.services.enrichment.reruns import rerun_failed
from prospecting.services.enrichment.results import FLAGS
from prospecting.services.enrichment.results import VERDICTS
from prospecting.services.enrichment.results import RowFilter
from prospecting.services.enrichment.results import results_after
from prospecting.services.enrichment.results import results_page
from prospecting.services.enrichment.results import row_filter
from prospecting.services.enrichment.results import status_counts
from prospecting.services.enrichment.rows import mapped_fields
from prospecting.services.enrichment.rows import readable_name
from prospecting.services.enrichment.rows import with_fields
from prospecting.services.enrichment.uploads import KIND
from prospecting.services.enrichment.uploads import PLAN
from prospecting.services.enrichment.uploads import check_readable
from prospecting.services.enrichment.uploads import check_row_limit
from prospecting.services.enrichment.uploads import clean_filename
from prospecting.services.enrichment.uploads import clean_mapping
from prospecting.services.enrichment.uploads import delete_upload
from prospecting.services.enrichment.uploads import get_upload
from prospecting.services.enrichment.uploads import preview
from prospecting.services.enrichment.uploads import readable_path
from prospecting.services.enrichment.uploads import remove_files
from prospecting.services.enrichment.uploads import save_upload
from prospecting.services.enrichment.uploads import sheets
from prospecting.services.enrichment.uploads import start
from prospecting.services.enrichment.uploads import start_from_file
from prospecting.services.enrichment.worker import company_domain
from prospecting.services.enrichment.worker import enrich_company
from prospecting.services.enrichment.worker import enrich_row
from prospecting.services.enrichment.worker import normalise_phone
from prospecting.services.enrichment.worker import process_rows
from prospecting.services.enrichment.worker import verify_email

__all__ = [
    "EMPTY_FIELDS",
    "RerunConditions",
    "rerun_conditions",
    "rerun_estimate",
    "EXPORT_COLUMNS",
    "FLAGS",
    "KIND",
    "PLAN",
    "ROWS",
    "VERDICTS",
    "CostEstimate",
    "RowFilter",
    "check_readable",
    "check_row_limit",
    "clean_filename",
    "clean_mapping",
    "company_domain",
    "delete_upload",
    "enrich_company",
    "enrich_row",
    "estimate_cost",
    "columns_of",
    "export_lines",
    "export_table",
    "get_upload",
    "mapped_fields",
    "normalise_phone",
    "plan",
    "preview",
    "process_rows",
    "readable_name",
    "rerun_exactly",
    "rerun_failed",
    "results_after",
    "results_page",
    "row_filter",
    "readable_path",
    "remove_files",
    "save_upload",
    "sheets",
    "start",
    "start_from_file",
    "status_counts",
    "verify_email",
    "with_fields",
]
