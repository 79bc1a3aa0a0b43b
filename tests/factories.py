"""Plain functions that build test data (CTFd gen_* style)."""

import csv
import io

from prospecting.extensions import db
from prospecting.models import Job
from prospecting.services import accounts

PASSWORD = "correct horse battery"


def make_user(
    email: str = "user@example.test", workspace: str = "Acme", password=PASSWORD
):
    return accounts.create_user(email, password, workspace=workspace)


def make_token(workspace_id: int) -> str:
    _, raw = accounts.create_token(workspace_id, "test")
    return raw


def login(client, email: str, password: str = PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def api_error(response, status: int) -> dict:
    """The error of a JSON API answer, checked to be in the one error envelope
    ({"error": {"code", "message", "details"}}) with `status`."""
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    assert isinstance(body["error"]["code"], str) and body["error"]["message"]
    return body["error"]


def make_job(
    workspace_id: int, *, kind: str = "enrichment", status: str = "queued", **kw
):
    job = Job(
        workspace_id=workspace_id,
        kind=kind,
        status=status,
        params=kw.pop("params", {}),
        **kw,
    )
    db.session.add(job)
    db.session.commit()
    return job


def csv_bytes(
    rows: list[list[str]], *, delimiter: str = ",", encoding: str = "utf-8"
) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def contacts_csv(
    n: int, *, header=("Name", "Email", "Company", "Phone", "Website")
) -> bytes:
    """A contact list of n rows with deterministic people."""
    rows = [list(header)]
    for i in range(1, n + 1):
        rows.append(
            [
                f"Person {i}",
                f"person{i}@company{i % 7}.com",
                f"Company {i % 7}",
                f"+1 415 555 {i % 10000:04d}",
                "",
            ]
        )
    return csv_bytes(rows)


def run_batch(batch_id: int, *, dispatch=None):
    """Run one batch through the batch runner, as a worker would; its Outcome.

    `dispatch` receives the batches the work sends on (default: dropped, so they
    stay pending)."""
    from prospecting.services.jobs import runner

    return runner.run(batch_id, dispatch=dispatch or (lambda batches: None))
