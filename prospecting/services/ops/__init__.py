"""Operations: worker heartbeats (heartbeats), database and queue reachability
(system), active jobs with failed and stuck batches to retry, cancel or send again
(batches), periodic task runs (periodic), provider health and throughput
(metrics), and the CLI's purge and provider checks (maintenance)."""

from prospecting.services.ops.batches import active_jobs
from prospecting.services.ops.batches import cancel_batch
from prospecting.services.ops.batches import failed_batches
from prospecting.services.ops.batches import requeue_stuck
from prospecting.services.ops.batches import retry_batch
from prospecting.services.ops.batches import retry_job
from prospecting.services.ops.batches import stuck_batches
from prospecting.services.ops.heartbeats import beat
from prospecting.services.ops.heartbeats import mark_stopped
from prospecting.services.ops.heartbeats import worker_identity
from prospecting.services.ops.heartbeats import worker_state
from prospecting.services.ops.heartbeats import workers
from prospecting.services.ops.maintenance import parse_age
from prospecting.services.ops.maintenance import purge_jobs
from prospecting.services.ops.metrics import percentile
from prospecting.services.ops.metrics import provider_health
from prospecting.services.ops.metrics import throughput
from prospecting.services.ops.periodic import next_run
from prospecting.services.ops.periodic import periodic_task_class
from prospecting.services.ops.periodic import periodic_tasks
from prospecting.services.ops.periodic import record_periodic_end
from prospecting.services.ops.periodic import record_periodic_start
from prospecting.services.ops.periodic import task_name
from prospecting.services.ops.provider_checks import check_providers
from prospecting.services.ops.provider_checks import not_configured_providers
from prospecting.services.ops.system import database_reachable
from prospecting.services.ops.system import queue_depth
from prospecting.services.ops.system import system_status

__all__ = [
    "active_jobs",
    "beat",
    "cancel_batch",
    "check_providers",
    "database_reachable",
    "failed_batches",
    "mark_stopped",
    "next_run",
    "not_configured_providers",
    "parse_age",
    "percentile",
    "periodic_task_class",
    "periodic_tasks",
    "provider_health",
    "purge_jobs",
    "queue_depth",
    "record_periodic_end",
    "record_periodic_start",
    "requeue_stuck",
    "retry_batch",
    "retry_job",
    "stuck_batches",
    "system_status",
    "task_name",
    "throughput",
    "worker_identity",
    "worker_state",
    "workers",
]
