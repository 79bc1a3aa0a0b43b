"""Enrichment results filtered by email verdict and flag, on the page, in the
export and in the JSON API."""

import csv
import io

import pytest

from prospecting.services import enrichment
from tests import factories
from tests.factories import start_enrichment

MIXED = [
    ["Name", "Email"],
    ["Ann", "ann@globex-corp.com"],
    ["Bounce", "bounce.amelia@globex-corp.com"],
    ["Temp", "test147@mailinator.com"],
    ["Info", "info@globex-corp.com"],
    ["Gina", "gina@gmail.com"],
    ["Nobody", ""],
]
MAPPING = {"map_name": "Name", "map_email": "Email"}


def _emails(text: str) -> list[str]:
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    return [r["Email"] for r in rows]


def test_results_page_filters_by_verdict_and_flag(auth_client, workspace):
    job = start_enrichment(auth_client, factories.csv_bytes(MIXED), MAPPING)
    invalid = auth_client.get(f"/enrichment/jobs/{job.id}/results?verdict=invalid")
    html = invalid.get_data(as_text=True)
    assert "bounce.amelia@globex-corp.com" in html
    assert "ann@globex-corp.com" not in html
    disposable = auth_client.get(f"/enrichment/jobs/{job.id}/results?flag=disposable")
    html = disposable.get_data(as_text=True)
    assert "test147@mailinator.com" in html
    assert "info@globex-corp.com" not in html


def test_the_filter_lives_in_the_page_url_and_the_export_follows_it(
    auth_client, workspace
):
    job = start_enrichment(auth_client, factories.csv_bytes(MIXED), MAPPING)
    page = auth_client.get(f"/enrichment/jobs/{job.id}?flag=role")
    html = page.get_data(as_text=True)
    assert "info@globex-corp.com" in html
    assert "ann@globex-corp.com" not in html
    assert f"/enrichment/jobs/{job.id}/export?flag=role" in html
    assert 'hx-push-url="/enrichment/jobs/' in html
    export = auth_client.get(f"/enrichment/jobs/{job.id}/export.csv?flag=role")
    assert _emails(export.get_data(as_text=True)) == ["info@globex-corp.com"]
    free = auth_client.get(f"/enrichment/jobs/{job.id}/export.csv?flag=free_provider")
    assert _emails(free.get_data(as_text=True)) == ["gina@gmail.com"]


def test_an_unknown_filter_value_on_the_page_shows_every_row(auth_client, workspace):
    job = start_enrichment(auth_client, factories.csv_bytes(MIXED), MAPPING)
    html = auth_client.get(f"/enrichment/jobs/{job.id}?verdict=bogus").get_data(
        as_text=True
    )
    assert "ann@globex-corp.com" in html and "gina@gmail.com" in html


def test_api_results_filter_by_verdict_and_flag(client, workspace, api_headers):
    from tests.test_api_enrichment import post_csv

    job_id = post_csv(client, api_headers, factories.csv_bytes(MIXED)).json["job_id"]
    body = client.get(
        f"/jobs/{job_id}/results?verdict=invalid", headers=api_headers
    ).json
    assert [r["email"] for r in body["results"]] == ["bounce.amelia@globex-corp.com"]
    assert body["pagination"]["total"] == 1
    body = client.get(f"/jobs/{job_id}/results?flag=catch-all", headers=api_headers)
    assert body.status_code == 200
    body = client.get(
        f"/jobs/{job_id}/results?flag=disposable&status=success", headers=api_headers
    ).json
    assert [r["email"] for r in body["results"]] == ["test147@mailinator.com"]
    assert body["results"][0]["email_flags"] == ["disposable"]


def test_api_bad_verdict_or_flag_is_422_naming_the_field(
    client, workspace, api_headers
):
    from tests.test_api_enrichment import post_csv

    job_id = post_csv(client, api_headers, factories.contacts_csv(1)).json["job_id"]
    for field in ("verdict", "flag"):
        response = client.get(f"/jobs/{job_id}/results?{field}=x", headers=api_headers)
        assert response.status_code == 422
        assert response.json["error"]["code"] == f"bad_{field}"
        assert field in response.json["error"]["message"]


@pytest.mark.parametrize(
    ("name", "shown"),
    [("PRIYA MEHTA", "Priya Mehta"), ("O'NEIL-SMITH", "O'Neil-Smith"),
     ("ZOË ÅNGSTRÖM", "Zoë Ångström"), ("de la Cruz", "de la Cruz"),
     ("IBM", "Ibm"), ("", "")],
)  # fmt: skip
def test_a_name_in_capitals_reads_in_a_readable_case(name, shown):
    assert enrichment.readable_name(name) == shown


def test_the_results_show_a_capitals_name_readably_and_keep_the_original(
    auth_client, workspace
):
    content = factories.csv_bytes([["Name", "Email"], ["PRIYA MEHTA", "p@acme.com"]])
    job = start_enrichment(auth_client, content, MAPPING)
    html = auth_client.get(f"/enrichment/jobs/{job.id}/results").get_data(as_text=True)
    assert '<span title="PRIYA MEHTA">Priya Mehta</span>' in html
    export = auth_client.get(f"/enrichment/jobs/{job.id}/export?columns=Name&mode=raw")
    assert "PRIYA MEHTA" in export.get_data(as_text=True)
