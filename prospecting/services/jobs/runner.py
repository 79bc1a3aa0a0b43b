"""The batch runner: claim, work, the outcome of every provider error, completion,
release, pause and failure, for every batch kind.

An area supplies a work function and a `Policy`; the work gets a `Run` (the
claimed batch, its job, the lease) and returns what became of the batch (`Done`,
`Later`, `Failed`) or raises a provider error, which the policy turns into a
retry, a pause or a failure. The task layer calls `run()` and schedules what the
returned `Outcome` asks for.
"""

import logging
import time
import traceback
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from flask import current_app
from sqlalchemy.orm.attributes import set_committed_value

from prospecting import metering
from prospecting.extensions import db
from prospecting.models import Job
from prospecting.models import JobBatch
from prospecting.providers.errors import ProviderAuthError
from prospecting.providers.errors import ProviderCostCapReached
from prospecting.providers.errors import ProviderError
from prospecting.providers.errors import ProviderNotConfigured
from prospecting.providers.errors import ProviderNotFound
from prospecting.providers.errors import ProviderOutcomeUnknown
from prospecting.providers.errors import ProviderQuotaExhausted
from prospecting.providers.errors import ProviderRateLimited
from prospecting.providers.errors import ProviderUnavailable
from prospecting.services.errors import ServiceError
from prospecting.services.jobs import batches
from prospecting.services.jobs import kinds
from prospecting.services.jobs import lifecycle

logger = logging.getLogger(__name__)

FAIL = "fail"
RETRY = "retry"
Dispatch = Callable[[list[tuple[int, str]]], None]


# What a batch's work returns


@dataclass(frozen=True)
class Done:
    """The batch is finished: its counts go to the job. `then` are batches to send
    after a delay once this one is done; `params` replace its stored arguments;
    `total` sets the job's progress total (work never writes its job row itself:
    see the lock order in lifecycle)."""

    success: int = 0
    failed: int = 0
    then: tuple[tuple[int, float], ...] = ()
    params: dict | None = None
    total: int | None = None


# How a Later run counts against the batch's attempts.
TRY = "try"  # it failed: one more try used
PROGRESS = "progress"  # it moved on (a poll answered): the attempts start over
WAIT = "wait"  # it waits out a provider's window or another batch: not a try


@dataclass(frozen=True)
class Later:
    """Run the batch again after `delay` seconds."""

    delay: float
    reason: str = ""
    counts: str = TRY


@dataclass(frozen=True)
class Failed:
    """The job fails with this message for the user."""

    message: str


Result = Done | Later | Failed | None  # None: nothing more to do (lease lost)


@dataclass(frozen=True)
class Outcome:
    """What the task layer schedules: batch ids with their delays."""

    later: tuple[tuple[int, float], ...] = ()


# The policy of a batch kind


def _setting(value):
    return current_app.config[value] if isinstance(value, str) else value


@dataclass(frozen=True)
class Backoff:
    """Delay before attempt n+1: base × 2^(n-1), at most cap (seconds or settings)."""

    base: float | str = 2.0
    cap: float | str = 300.0

    def delay(self, attempt: int) -> float:
        base, cap = float(_setting(self.base)), float(_setting(self.cap))
        return min(cap, base * 2 ** min(max(0, attempt - 1), 30))


@dataclass(frozen=True)
class Policy:
    """How a batch kind meets each kind of trouble."""

    # Tries (claims since the batch last made progress) before giving up.
    attempts: int | str = "BATCH_MAX_ATTEMPTS"
    backoff: Backoff = Backoff()
    # A rate limit waits what the provider asked ("provider") or the backoff.
    rate_limit: str = "provider"
    # A provider asking for a longer wait than this fails the job.
    rate_limit_max_wait: float | str | None = None
    # An unavailable provider (5xx, timeout, connection): RETRY or FAIL the job.
    unavailable: str = RETRY
    # Any other provider error (an answer we cannot use): FAIL or RETRY.
    errors: str = FAIL
    # A provider that has no data: the job fails with this message (a callable
    # gets the run and the error); None treats it as any other error.
    not_found: "str | Callable[[Run, ProviderNotFound], str] | None" = None
    # More exceptions that fail the job at once with their message.
    fatal: tuple[type[Exception], ...] = ()
    # After the last attempt: what becomes of the batch (default: the job fails).
    give_up: "Callable[[Run, ProviderError], Result] | None" = None
    # Refused credentials: a side effect before the job fails (disconnect…).
    on_auth: "Callable[[Run, ProviderAuthError], None] | None" = None

    def max_attempts(self) -> int:
        return int(_setting(self.attempts))


# The run of one claimed batch


class LeaseLost(Exception):
    """Another worker took the batch over; stop without writing."""


class JobStopped(Exception):
    """The job was cancelled or failed while the batch ran; stop without writing."""


class JobPaused(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Run:
    """A claimed batch being worked: its job, the lease, and a way to send more.

    The job's status is asked at most every BATCH_CHECK_SECONDS while items are
    worked (a cancel or pause stops the batch within that time, not one query an
    item), and work that writes its items in groups writes when `write_due()`
    says so (BATCH_WRITE_SECONDS), extending the lease once a group.
    """

    batch: JobBatch
    job: Job
    owner: str
    policy: Policy
    dispatch: Dispatch
    checked_at: float = 0.0
    written_at: float = 0.0
    batch_id: int = field(init=False)
    job_id: str = field(init=False)
    kind: str = field(init=False)

    def __post_init__(self) -> None:
        # The claim just read the job; the first question can wait its turn.
        self.checked_at = self.written_at = time.monotonic()
        # Every commit expires the batch and the job: reading their ids or kind
        # from them after one would load their rows again (the job's with its
        # params), at every write and every check.
        self.batch_id = self.batch.id
        self.job_id = self.job.id
        self.kind = self.batch.kind

    @property
    def params(self) -> dict:
        return self.batch.params or {}

    @property
    def attempts(self) -> int:
        return self.batch.attempts

    def check(self) -> None:
        """Stop when the job was cancelled, failed or paused since the batch began."""
        self.checked_at = time.monotonic()
        status = lifecycle.current_status(self.job_id)
        if status in ("cancelled", "failed"):
            raise JobStopped(status)
        if status == "paused":
            raise JobPaused("Paused.")

    def each(self, items: Iterable) -> Iterator:
        """The items, checking the job between them when a check is due (cancel and
        pause stop here)."""
        every = current_app.config["BATCH_CHECK_SECONDS"]
        for item in items:
            if time.monotonic() - self.checked_at >= every:
                self.check()
            yield item

    def write_due(self) -> bool:
        """True when the items worked since the last write should be written now."""
        every = current_app.config["BATCH_WRITE_SECONDS"]
        return time.monotonic() - self.written_at >= every

    def count(self, *, success: int = 0, failed: int = 0) -> None:
        """Count items as they are written, in the same transaction (after
        `extend()`), so the job's counts follow its rows; `Done` still gives the
        batch's totals, and the job gets only what was not counted so."""
        batches.add_counts(self.batch_id, self.job_id, success=success, failed=failed)

    def extend(self) -> None:
        """Extend the lease before writing; LeaseLost when the batch is not ours."""
        self.written_at = time.monotonic()
        if not batches.extend(self.batch_id, self.owner):
            raise LeaseLost()

    def alone(self) -> bool:
        """True when no other batch of the job waits to be claimed (and no batch of
        another kind is open): the job is down to its running batches, and a
        worker thread that frees up would have nothing of it to do. Never under
        HUEY_IMMEDIATE, where a batch sent runs at once inside this one."""
        if current_app.config["HUEY_IMMEDIATE"]:
            return False
        return not batches.waiting(self.job_id, self.kind)

    def split(self, keep: dict, parts: list[dict]) -> bool:
        """Give part of this batch's items to new batches of its kind, which any
        worker thread may take: the batch keeps the items of `keep` (its new
        params), each of `parts` becomes a pending batch, and they are sent.
        Commits; False when nothing was split (the batch is no longer ours, or a
        concurrent split came first)."""
        added = batches.split(self.batch_id, self.owner, keep=keep, parts=parts)
        if added is None:
            return False
        set_committed_value(self.batch, "params", keep)
        self.dispatch(added)
        return True


def run(batch_id: int, *, dispatch: Dispatch) -> Outcome:
    """Claim a batch of any registered kind, work it and settle what became of it."""
    owner = batches.claim(batch_id, kinds=kinds.batch_names())
    if owner is None:
        return Outcome()
    batch = db.session.get(JobBatch, batch_id)
    job = db.session.get(Job, batch.job_id)
    spec = kinds.batch(batch.kind)
    if job.is_terminal:
        batches.drop(batch_id, owner)
        return Outcome()
    if job.status == "paused":
        batches.pause_batch(batch_id, owner, job.error_message or "Paused.")
        return Outcome()
    if job.status == "queued":  # the claim just read it: no write per batch
        lifecycle.mark_running(job.id)
    current = Run(batch, job, owner, spec.policy, dispatch)
    with metering.job_context(job.id, batch=True):
        try:
            result = _work(current, spec.work)
        except Exception as exc:  # a bug or an outage: retry, then keep the error
            logger.exception("batch %s (%s) raised", batch_id, batch.kind)
            db.session.rollback()
            result = _crashed(current, exc)
        return _settle(current, result)


def _work(run_: Run, work: Callable[[Run], Any]) -> Result:
    policy = run_.policy
    try:
        return work(run_)
    except (LeaseLost, JobStopped):
        db.session.rollback()
        return None
    except JobPaused as exc:
        db.session.rollback()
        batches.pause_batch(run_.batch_id, run_.owner, exc.reason)
        return None
    except (
        ProviderCostCapReached,
        ProviderOutcomeUnknown,
        ProviderQuotaExhausted,
    ) as exc:
        # The batch pauses with the reason: a cost cap (its items stay pending, so
        # resume() picks them up exactly once); a billable call that may have been
        # charged (never sent again on our own: the user decides); an hour's or a
        # day's quota (the reason says when it can resume, instead of retrying).
        db.session.rollback()
        batches.pause_batch(run_.batch_id, run_.owner, exc.message)
        return None
    except ProviderNotConfigured as exc:
        db.session.rollback()
        return Failed(exc.message)
    except policy.fatal as exc:
        db.session.rollback()
        return Failed(getattr(exc, "message", str(exc)))
    except ProviderRateLimited as exc:
        db.session.rollback()
        return _rate_limited(run_, exc)
    except ProviderAuthError as exc:
        db.session.rollback()
        if policy.on_auth is not None:
            policy.on_auth(run_, exc)
        return Failed(exc.message)
    except ProviderUnavailable as exc:
        db.session.rollback()
        return _transient(run_, exc) if policy.unavailable == RETRY else _fail(exc)
    except ProviderNotFound as exc:
        db.session.rollback()
        if policy.not_found is None:
            return _transient(run_, exc) if policy.errors == RETRY else _fail(exc)
        message = policy.not_found
        return Failed(message if isinstance(message, str) else message(run_, exc))
    except ProviderError as exc:
        db.session.rollback()
        return _transient(run_, exc) if policy.errors == RETRY else _fail(exc)
    except ServiceError as exc:
        db.session.rollback()
        return Failed(exc.message)


def _fail(exc: ProviderError) -> Failed:
    return Failed(exc.message)


def _rate_limited(run_: Run, exc: ProviderRateLimited) -> Result:
    policy = run_.policy
    limit = policy.rate_limit_max_wait
    if limit is not None and exc.retry_after > float(_setting(limit)):
        return Failed(exc.message)
    if policy.rate_limit == "provider":
        # Waiting out a provider's window is not a failed try.
        return Later(exc.retry_after, exc.message, counts=WAIT)
    # Backing off: each 429 lengthens the next wait; a rate limit never gives up.
    return Later(policy.backoff.delay(run_.attempts), exc.message)


def _transient(run_: Run, exc: ProviderError) -> Result:
    """Retry with backoff, or give up once the batch used its attempts."""
    policy = run_.policy
    if run_.attempts >= policy.max_attempts():
        if policy.give_up is not None:
            return policy.give_up(run_, exc)
        return Failed(f"{exc.message} Gave up after {run_.attempts} attempts.")
    delay = policy.backoff.delay(run_.attempts)
    return Later(delay, exc.message)


def _crashed(run_: Run, exc: Exception) -> Result:
    message = f"{type(exc).__name__}: {exc}"
    if run_.attempts >= current_app.config["BATCH_MAX_ATTEMPTS"]:
        trace = "".join(traceback.format_exception(exc))
        batches.fail_batch(run_.batch_id, f"{message}\n\n{trace}")
        return None
    return Later(run_.policy.backoff.delay(run_.attempts), message)


def _settle(run_: Run, result: Result) -> Outcome:
    batch_id, owner = run_.batch_id, run_.owner
    if isinstance(result, Done):
        if batches.complete(
            batch_id,
            owner,
            success=result.success,
            failed=result.failed,
            params=result.params,
            total=result.total,
        ):
            return Outcome(later=result.then)
        return Outcome()
    if isinstance(result, Later):
        attempts = {
            TRY: None,
            PROGRESS: 0,
            WAIT: max(0, run_.attempts - 1),
        }[result.counts]
        if batches.release(
            batch_id, owner, delay=result.delay, reason=result.reason, attempts=attempts
        ):
            return Outcome(later=((batch_id, result.delay),))
        return Outcome()
    if isinstance(result, Failed):
        lifecycle.fail(run_.job_id, result.message)
    return Outcome()
