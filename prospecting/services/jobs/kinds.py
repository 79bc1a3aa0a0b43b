"""The job-kind registry: what each kind of job is, declared once.

A kind names its batch kinds (each a work function and its policy), its progress
headline partial, its result page, what "retry" and "re-run exactly" do, the
providers it calls and the audit fields it records, and how its status reads at
the API edge. The engine, the task layer, the pages and the audit all read this
registry; an area adds a kind with one `register()` call in its `kinds` module.
"""

import importlib
import pkgutil
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from prospecting.models import Job
    from prospecting.services.jobs.runner import Policy
    from prospecting.services.jobs.runner import Run


@dataclass(frozen=True)
class BatchKind:
    """One kind of batch: the function that works it and how failures are met."""

    name: str
    work: "Callable[[Run], Any]"
    policy: "Policy"


@dataclass(frozen=True)
class JobKind:
    name: str
    label: str
    unit: str = "items"
    batches: tuple[BatchKind, ...] = ()
    # Endpoint of the job's page, called with job_id=…
    page: str | None = None
    # The partial that heads the progress box (gets `job` and `kind`).
    headline: str = "jobs/_headline.html"
    # Providers the kind calls, recorded in each job's audit.
    providers: tuple[str, ...] = ()
    # Audit key -> params key, copied into the audit when the job is created.
    audit_fields: Mapping[str, str] = field(default_factory=dict)
    # Re-run exactly: start (commit, not enqueue) a new job with the same inputs.
    rerun: "Callable[[Job, int | None], Job] | None" = None
    # Retry: what "retry" does for a finished job (commit, not enqueue); None =
    # the engine's default, its failed batches sent again.
    retry: "Callable[[Job], Job] | None" = None
    # Engine status -> the status this kind's API documents (None = as stored).
    api_statuses: Mapping[str, str] | None = None

    def api_status(self, status: str) -> str:
        if self.api_statuses is None:
            return status
        return self.api_statuses.get(status, status)


_kinds: dict[str, JobKind] = {}
_batches: dict[str, BatchKind] = {}


def register(kind: JobKind) -> JobKind:
    """Add (or replace) a job kind and its batch kinds."""
    old = _kinds.get(kind.name)
    if old is not None:
        for batch in old.batches:
            _batches.pop(batch.name, None)
    for batch in kind.batches:
        owner = _batch_owner(batch.name)
        if owner is not None and owner != kind.name:
            raise ValueError(f"batch kind {batch.name!r} belongs to {owner!r}")
        _batches[batch.name] = batch
    _kinds[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    kind = _kinds.pop(name, None)
    for batch in kind.batches if kind else ():
        _batches.pop(batch.name, None)


def _batch_owner(batch_name: str) -> str | None:
    for kind in _kinds.values():
        if any(b.name == batch_name for b in kind.batches):
            return kind.name
    return None


def get(name: str) -> JobKind:
    """The kind named `name`; an unknown one (an old job's) gets a plain default."""
    return _kinds.get(name) or JobKind(name=name, label=name.replace("_", " "))


def batch(name: str) -> BatchKind | None:
    return _batches.get(name)


def batch_names() -> tuple[str, ...]:
    return tuple(_batches)


def all_kinds() -> list[JobKind]:
    return list(_kinds.values())


def load() -> None:
    """Import every area's `kinds` module (and plain service modules), so every
    kind is registered before a page or a worker needs one."""
    import prospecting.services as services

    for module in pkgutil.iter_modules(services.__path__):
        name = f"{services.__name__}.{module.name}"
        if module.ispkg:
            try:
                importlib.import_module(f"{name}.kinds")
            except ModuleNotFoundError as exc:
                if exc.name != f"{name}.kinds":
                    raise
        else:
            importlib.import_module(name)
