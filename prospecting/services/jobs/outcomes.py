"""How a job ended, as people read it: its stored status and its counts, together.

The engine finishes a job as `completed` once every batch is closed, whatever
happened to the items inside them; a job whose rows all failed is `completed`
in the database. Every badge, the home page and the headline read the outcome
from here, so no template decides on its own what a count means.
"""

from dataclasses import dataclass

# Outcome keys, in the order the home page lists them.
OUTCOMES = (
    "queued",
    "running",
    "paused",
    "completed",
    "completed_with_failures",
    "failed",
    "cancelled",
)

_LABELS = {
    "queued": "queued",
    "running": "running",
    "paused": "paused",
    "completed": "completed",
    "completed_with_failures": "completed with failures",
    "failed": "failed",
    "cancelled": "cancelled",
}

# The colour family of each outcome: ok (green), warn (amber), bad (red),
# busy (blue), idle (grey).
_TONES = {
    "queued": "busy",
    "running": "busy",
    "paused": "warn",
    "completed": "ok",
    "completed_with_failures": "warn",
    "failed": "bad",
    "cancelled": "idle",
}


@dataclass(frozen=True)
class JobOutcome:
    key: str
    label: str
    tone: str
    # Why a completed job reads otherwise (None when the status says it all).
    note: str | None = None


def outcome_of(status: str, success: int = 0, failed: int = 0) -> JobOutcome:
    """The outcome of a job in `status` with `success` and `failed` items."""
    key = (status or "").lower()
    note = None
    if key == "completed" and failed:
        if success:
            key = "completed_with_failures"
            note = f"{failed} of {success + failed} failed."
        else:
            key = "failed"
            note = f"Every item failed ({failed})."
    if key not in _LABELS:
        return JobOutcome(key=key, label=key.replace("_", " "), tone="idle")
    return JobOutcome(key=key, label=_LABELS[key], tone=_TONES[key], note=note)


def outcome(job) -> JobOutcome:
    """The outcome of a job (anything with status, success and failed counts)."""
    return outcome_of(
        job.status,
        getattr(job, "success_count", 0) or 0,
        getattr(job, "failed_count", 0) or 0,
    )
