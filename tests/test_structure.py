"""The structure of the code: no import cycle under prospecting/, providers import
no service, and a new job kind needs only its registration, its work function and
its headline partial."""

import ast
from pathlib import Path

import pytest
from jinja2 import ChoiceLoader
from jinja2 import DictLoader
from sqlalchemy import select

from prospecting import tasks
from prospecting.extensions import db
from prospecting.models import Job
from prospecting.models import JobBatch
from prospecting.services import jobs
from prospecting.services.jobs import kinds
from tests import factories

PACKAGE = Path(__file__).resolve().parents[1] / "prospecting"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Every module under prospecting/ and the prospecting modules it imports, at
    any depth of the file (a function-level import is an import too)."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found = set()
        for node in _runtime_nodes(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                base = node.module
                for alias in node.names:
                    candidate = f"{base}.{alias.name}"
                    found.add(candidate if candidate in modules else base)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def _runtime_nodes(tree):
    """Every node but those under `if TYPE_CHECKING:` (imports for annotations
    only, never run)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and ast.unparse(child.test) == "TYPE_CHECKING":
                stack.extend(child.orelse)
                continue
            stack.append(child)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []
    counter = [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return out


def test_there_is_no_import_cycle_under_prospecting():
    # A package's __init__ that re-exports its own modules is not a cycle of
    # the code; only imports between different modules count.
    graph = _imports()
    for name, targets in graph.items():
        graph[name] = {t for t in targets if not t.startswith(name + ".")}
    assert _cycles(graph) == []


def test_providers_import_no_service():
    graph = _imports()
    offenders = {
        (name, target)
        for name, targets in graph.items()
        if name.startswith("prospecting.providers")
        for target in targets
        if target.startswith(("prospecting.services", "prospecting.views"))
    }
    assert offenders == set()


# A new kind of job: its work, its registration and its headline, nothing else.

WORK_KIND = "greeting"
WORK_BATCH = "greeting.say"
HEADLINE = "greetings/_headline.html"


def say_hello(run: jobs.Run) -> jobs.Result:
    """The work of one batch: count the names it was given."""
    names = [name for name in run.each(run.params["names"])]
    return jobs.Done(success=len(names))


@pytest.fixture
def greeting_kind(app):
    app.jinja_loader = ChoiceLoader(
        [
            app.jinja_loader,
            DictLoader(
                {
                    HEADLINE: '<span class="figures">Said hello to '
                    "{{ job.success_count }}</span>"
                }
            ),
        ]
    )
    app.jinja_env.loader = app.jinja_loader
    jobs.register(
        jobs.JobKind(
            name=WORK_KIND,
            label="Greetings",
            unit="names",
            batches=(jobs.BatchKind(WORK_BATCH, say_hello, jobs.Policy()),),
            headline=HEADLINE,
        )
    )
    yield
    kinds.unregister(WORK_KIND)


def test_a_new_job_kind_needs_only_its_registration_work_and_headline(
    greeting_kind, auth_client, workspace, htmx
):
    job = jobs.create(
        WORK_KIND,
        {},
        [jobs.NewBatch(WORK_BATCH, {"names": ["Ann", "Bo"]}),
         jobs.NewBatch(WORK_BATCH, {"names": ["Cy"]})],
        workspace_id=workspace.id,
        title="Say hello",
        total=3,
    )  # fmt: skip
    db.session.commit()
    # The engine runs it through the one batch task, the reaper knows it, the
    # pages show it with its headline, and cancel works on it.
    tasks.enqueue_batches(jobs.open_batches(job.id))
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert (job.status, job.success_count, job.progress_current) == ("completed", 3, 3)
    states = db.session.scalars(
        select(JobBatch.status).where(JobBatch.job_id == job.id)
    ).all()
    assert states == ["done", "done"]
    progress = auth_client.get(f"/jobs/{job.id}/progress", headers=htmx)
    assert progress.status_code == 200
    assert b"Said hello to 3" in progress.data
    assert job.params["audit"]["inputs_sha256"]


def test_every_registered_kind_declares_what_the_pages_need(app):
    for kind in kinds.all_kinds():
        assert kind.batches, kind.name
        assert kind.page, kind.name
        app.jinja_env.get_template(kind.headline)
        for batch in kind.batches:
            assert kinds.batch(batch.name) is batch
            assert batch.name.split(".")[0], batch.name


def test_a_kind_no_longer_registered_still_shows_its_jobs(auth_client, workspace, htmx):
    job = factories.make_job(workspace.id, kind="retired_kind", status="completed")
    response = auth_client.get(f"/jobs/{job.id}/progress", headers=htmx)
    assert response.status_code == 200
    assert b"completed" in response.data
