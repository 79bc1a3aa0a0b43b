"""Property-based fuzzing of the JSON API from its own OpenAPI description."""

import re

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings
from schemathesis.checks import not_a_server_error

from config import TestConfig
from prospecting import create_app
from tests import factories


@pytest.fixture
def seeded(app, workspace):
    """A workspace with a real token and an enrichment job the fuzzer can reach."""
    job = factories.enrichment_job(workspace.id, factories.contacts_csv(3))
    return {"token": factories.make_token(workspace.id), "job_id": job.id}


# The description is loaded over WSGI from an app of its own (it needs no database);
# each generated case is then sent to the test's app, with its seeded workspace.
schema = schemathesis.openapi.from_wsgi(
    "/api/openapi.json", create_app(TestConfig, SQLALCHEMY_DATABASE_URI="sqlite://")
)


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_never_answers_5xx(case, app, seeded):
    """Does any generated request, with a valid token, make the API answer 5xx?"""
    case.call_and_validate(
        app=app, headers={"X-API-Key": seeded["token"]}, checks=[not_a_server_error]
    )


def test_openapi_is_public_and_covers_every_api_route(app, client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    paths = response.get_json()["paths"]
    documented = {
        (path, method.upper()) for path, ops in paths.items() for method in ops
    }
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            # <int:id> is documented as {id}
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert (path, method) in documented, rule.rule
