"""The job engine: jobs, their leased batches, the batch runner, the reaper and the
job-kind registry. Areas import the engine from here."""

from prospecting.services.jobs.batches import NOT_SENT
from prospecting.services.jobs.batches import add_batch
from prospecting.services.jobs.batches import add_counts
from prospecting.services.jobs.batches import claim
from prospecting.services.jobs.batches import complete
from prospecting.services.jobs.batches import extend
from prospecting.services.jobs.batches import fail_batch
from prospecting.services.jobs.batches import mark_not_sent
from prospecting.services.jobs.batches import next_seq
from prospecting.services.jobs.batches import open_batches
from prospecting.services.jobs.batches import pause_batch
from prospecting.services.jobs.batches import release
from prospecting.services.jobs.batches import set_worker_id
from prospecting.services.jobs.counters import Counts
from prospecting.services.jobs.counters import counts
from prospecting.services.jobs.kinds import BatchKind
from prospecting.services.jobs.kinds import JobKind
from prospecting.services.jobs.kinds import register
from prospecting.services.jobs.lifecycle import OPEN_BATCH_STATUSES
from prospecting.services.jobs.lifecycle import NewBatch
from prospecting.services.jobs.lifecycle import cancel
from prospecting.services.jobs.lifecycle import create
from prospecting.services.jobs.lifecycle import current_status
from prospecting.services.jobs.lifecycle import fail
from prospecting.services.jobs.lifecycle import finalise
from prospecting.services.jobs.lifecycle import get
from prospecting.services.jobs.lifecycle import mark_running
from prospecting.services.jobs.lifecycle import on_end
from prospecting.services.jobs.lifecycle import pause
from prospecting.services.jobs.lifecycle import recent
from prospecting.services.jobs.lifecycle import rerun_exactly
from prospecting.services.jobs.lifecycle import resume
from prospecting.services.jobs.outcomes import OUTCOMES
from prospecting.services.jobs.outcomes import JobOutcome
from prospecting.services.jobs.outcomes import outcome
from prospecting.services.jobs.outcomes import outcome_of
from prospecting.services.jobs.reaper import Reaped
from prospecting.services.jobs.reaper import reap
from prospecting.services.jobs.reaper import reclaim_gone
from prospecting.services.jobs.runner import FAIL
from prospecting.services.jobs.runner import PROGRESS
from prospecting.services.jobs.runner import RETRY
from prospecting.services.jobs.runner import WAIT
from prospecting.services.jobs.runner import Backoff
from prospecting.services.jobs.runner import Done
from prospecting.services.jobs.runner import Failed
from prospecting.services.jobs.runner import Later
from prospecting.services.jobs.runner import LeaseLost
from prospecting.services.jobs.runner import Outcome
from prospecting.services.jobs.runner import Policy
from prospecting.services.jobs.runner import Result
from prospecting.services.jobs.runner import Run

__all__ = [
    "FAIL",
    "NOT_SENT",
    "OPEN_BATCH_STATUSES",
    "OUTCOMES",
    "PROGRESS",
    "RETRY",
    "Result",
    "WAIT",
    "Backoff",
    "BatchKind",
    "Counts",
    "Done",
    "Failed",
    "JobKind",
    "JobOutcome",
    "Later",
    "LeaseLost",
    "NewBatch",
    "Outcome",
    "Policy",
    "Reaped",
    "Run",
    "add_batch",
    "add_counts",
    "cancel",
    "claim",
    "complete",
    "counts",
    "create",
    "current_status",
    "extend",
    "fail",
    "fail_batch",
    "finalise",
    "get",
    "mark_not_sent",
    "mark_running",
    "on_end",
    "next_seq",
    "open_batches",
    "outcome",
    "outcome_of",
    "pause",
    "pause_batch",
    "reap",
    "reclaim_gone",
    "recent",
    "rerun_exactly",
    "register",
    "release",
    "resume",
    "set_worker_id",
]
