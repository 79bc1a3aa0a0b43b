"""Operations: worker heartbeats and the last runs of periodic tasks."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from prospecting.extensions import db
from prospecting.models.base import utcnow


class WorkerHeartbeat(db.Model):
    __tablename__ = "worker_heartbeats"

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[str] = mapped_column(String(255), unique=True)  # host:pid
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]
    threads: Mapped[int] = mapped_column(default=1)
    queue: Mapped[str] = mapped_column(String(120))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    stopped_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<WorkerHeartbeat {self.worker_id} {self.last_seen_at}>"


class PeriodicRun(db.Model):
    __tablename__ = "periodic_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_name: Mapped[str] = mapped_column(String(255), unique=True)
    last_run_at: Mapped[datetime | None]
    last_finished_at: Mapped[datetime | None]
    last_status: Mapped[str] = mapped_column(String(20), default="running")
    last_error: Mapped[str | None] = mapped_column(Text)
    run_count: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<PeriodicRun {self.task_name} {self.last_status}>"
