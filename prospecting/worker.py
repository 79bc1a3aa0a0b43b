"""Consumer entry point: `huey_consumer prospecting.worker.huey` (or `flask worker`)."""

from prospecting import create_app
from prospecting import tasks  # noqa: F401  (registers every task)
from prospecting.extensions import huey

app = create_app()

__all__ = ["app", "huey"]
