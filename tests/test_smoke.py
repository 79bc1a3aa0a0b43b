"""The foundation holds together: login, upload, enrich, results."""

import io

from tests import factories


def test_upload_enriches_every_row_through_the_sandbox(auth_client, app):
    data = {"file": (io.BytesIO(factories.contacts_csv(25)), "people.csv")}
    response = auth_client.post("/enrichment/uploads", data=data)
    assert response.status_code == 302
    preview = auth_client.get(response.headers["Location"])
    assert b"utf-8" in preview.data
    upload_id = response.headers["Location"].rstrip("/").rsplit("/", 1)[1]
    started = auth_client.post(
        f"/enrichment/uploads/{upload_id}/start",
        data={
            "map_email": "Email",
            "map_name": "Name",
            "map_company": "Company",
            "map_phone": "Phone",
        },
    )
    assert started.status_code == 302
    page = auth_client.get(started.headers["Location"])
    assert page.status_code == 200
    assert b"25 / 25 rows (100 %)" in page.data
