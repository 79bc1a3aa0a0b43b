"""Worker-side ops: the heartbeat thread (which also sends a killed worker's batches
again) and the signals that record periodic runs."""

import logging
import os
import threading

from huey.api import PeriodicTask
from huey.signals import SIGNAL_COMPLETE
from huey.signals import SIGNAL_ERROR
from huey.signals import SIGNAL_EXECUTING

from prospecting.extensions import huey
from prospecting.models.base import utcnow
from prospecting.services import jobs
from prospecting.services import ops
from prospecting.tasks import enqueue_batches
from prospecting.tasks import in_app_context

logger = logging.getLogger(__name__)


class Heartbeat:
    """A daemon thread that upserts this process's heartbeat every few seconds and
    sends again the batches of workers that stopped beating (killed)."""

    def __init__(self, app, *, threads: int, queue: str):
        self.app = app
        self.threads = threads
        self.queue = queue
        self.worker_id, self.hostname, self.pid = ops.worker_identity()
        self.started_at = utcnow()
        self.counting = False
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="ops-heartbeat", daemon=True
        )

    def start(self) -> "Heartbeat":
        self._beat()
        jobs.set_worker_id(self.worker_id)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop beating and record the graceful stop."""
        self._stop.set()
        self._thread.join(timeout=5)
        jobs.set_worker_id(None)
        try:
            with self.app.app_context():
                ops.mark_stopped(self.worker_id)
        except Exception:
            logger.exception("could not record the worker's stop")

    def _run(self) -> None:
        interval = self.app.config["OPS_HEARTBEAT_SECONDS"]
        # At once on start (a worker restarted after a kill frees what its
        # predecessor held), then at every beat.
        self._reclaim()
        while not self._stop.wait(interval):
            self._beat()
            self._reclaim()

    def _reclaim(self) -> None:
        # Every living worker watches the others: a batch whose worker went
        # silent is put back and sent again at once, not after its lease.
        try:
            with self.app.app_context():
                enqueue_batches(jobs.reclaim_gone(host=self.hostname))
        except Exception:
            logger.exception("could not reclaim the batches of gone workers")

    def _beat(self) -> None:
        # A fresh context per beat: a clean session, never a long-lived one.
        try:
            with self.app.app_context():
                ops.beat(
                    self.worker_id,
                    hostname=self.hostname,
                    pid=self.pid,
                    threads=self.threads,
                    queue=self.queue,
                    started_at=self.started_at,
                )
        except Exception:  # a database hiccup must not kill the heartbeat
            logger.exception("could not write the worker heartbeat")


_heartbeat: Heartbeat | None = None
_heartbeat_lock = threading.Lock()


def start_heartbeat(app, *, threads: int | None = None) -> Heartbeat:
    """Start this process's heartbeat once; later calls return the running one.

    With threads=None the consumer's start-up hook counts them: it runs once in
    each worker thread.
    """
    global _heartbeat
    with _heartbeat_lock:
        if _heartbeat is None or _heartbeat.pid != os.getpid():
            queue = f"{huey.name} ({app.config['HUEY_STORAGE']})"
            _heartbeat = Heartbeat(app, threads=threads or 0, queue=queue)
            _heartbeat.counting = threads is None
            if _heartbeat.counting:
                _heartbeat.threads = 1
            return _heartbeat.start()
        if threads is None and _heartbeat.counting:
            _heartbeat.threads += 1
        return _heartbeat


def stop_heartbeat() -> None:
    """Stop this process's heartbeat, if it runs."""
    global _heartbeat
    with _heartbeat_lock:
        if _heartbeat is not None and _heartbeat.pid == os.getpid():
            _heartbeat.stop()
        _heartbeat = None


@huey.on_startup()
def heartbeat_on_startup() -> None:
    """Consumers started without `flask worker` (huey_consumer) beat as well."""
    start_heartbeat(huey.flask_app)


@huey.signal(SIGNAL_EXECUTING)
def periodic_started(signal, task, *args, **kwargs):
    """Record the start of a periodic task's run."""
    if isinstance(task, PeriodicTask):
        in_app_context(ops.record_periodic_start, ops.task_name(type(task)))


@huey.signal(SIGNAL_COMPLETE, SIGNAL_ERROR)
def periodic_finished(signal, task, exc=None, *args, **kwargs):
    """Record how a periodic task's run ended."""
    if isinstance(task, PeriodicTask):
        error = f"{type(exc).__name__}: {exc}" if signal == SIGNAL_ERROR else None
        in_app_context(ops.record_periodic_end, ops.task_name(type(task)), error=error)
