"""The crawler ingestion API: shapes, errors, idempotency, grouping, auth, limits."""

import json

import pytest
from sqlalchemy import func
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import CrawlLog
from prospecting.models import Creator
from prospecting.models import MessageLog
from prospecting.models import OutreachTask
from prospecting.models import Product
from prospecting.models import Sample
from prospecting.models import SampleContent
from tests import factories

ENDPOINTS = (
    "/samples/ingest",
    "/creators/ingest",
    "/outreach_tasks/ingest",
    "/chatbot/messages",
)


def sample_row(**over):
    row = {
        "region": "MX",
        "productName": "Sample Tee",
        "platformProductId": "1234567890",
        "platformCampaignId": "7563877506852587284",
        "platformCampaignName": "Holiday Sample",
        "status": "completed",
        "requestTimeRemaining": "0 days",
        "platformCreatorDisplayName": "Creator MX",
        "platformCreatorUsername": "@creator",
        "platformCreatorId": "c-1",
        "creatorUrl": "https://tiktok.com/@creator/video/123",
        "stock": 10,
        "availableSampleCount": 3,
        "isShowcase": True,
        "postRate": "0.54",
        "actions": [{"label": "View content", "enabled": True}],
        "actionDetails": {"view_content": {"video": 1, "live": 0}},
        "type": "video",
        "typeNumber": "2",
        "promotionName": "Spark Ads",
        "promotionTime": "2024-12-12",
        "promotionViewCount": 2000,
        "promotionLikeCount": 150,
        "promotionCommentCount": 20,
        "promotionOrderCount": 5,
        "promotionOrderTotalAmount": "120.50",
        "logisticsSnapshot": {"timeline": [{"title": "Delivered"}]},
    }
    row.update(over)
    return row


def samples_body(rows):
    return {
        "source": "portal_tiktok_sample_crawler",
        "operatorId": "00000000-0000-0000-0000-000000000000",
        "options": {"region": "MX"},
        "rows": rows,
    }


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def snapshot(model):
    return sorted(
        (obj.id, getattr(obj, "updated_at", obj.created_at))
        for obj in db.session.scalars(
            select(model).execution_options(populate_existing=True)
        )
    )


@pytest.mark.parametrize("path", ENDPOINTS)
def test_ingest_endpoints_need_a_token(client, path):
    response = client.post(path, json={})
    error = factories.api_error(response, 401)
    assert error["code"] == "unauthorized" and "token" in error["message"]


@pytest.mark.parametrize(
    "header",
    [
        lambda t: {"X-INFound-Inner-Service-Token": t},
        lambda t: {"X-API-Key": t},
        lambda t: {"Authorization": f"Bearer {t}"},
    ],
)
def test_ingest_accepts_every_token_header(client, workspace, header):
    token = factories.make_token(workspace.id)
    response = client.post(
        "/samples/ingest", json=samples_body([sample_row()]), headers=header(token)
    )
    assert response.status_code == 200
    assert response.get_json()["code"] == 0


def test_ingest_rejects_a_wrong_token(client, workspace):
    response = client.post(
        "/samples/ingest",
        json=samples_body([sample_row()]),
        headers={"X-INFound-Inner-Service-Token": "psk_wrong"},
    )
    assert response.status_code == 401


def test_samples_ingest_groups_rows_by_product(client, api_headers):
    rows = [
        sample_row(platformCreatorId="c-1"),
        sample_row(platformCreatorId="c-2", platformCreatorUsername="@two"),
        sample_row(platformProductId="999", productName="Mug", platformCreatorId="c-1"),
    ]
    response = client.post(
        "/samples/ingest", json=samples_body(rows), headers=api_headers
    )
    body = response.get_json()
    assert response.status_code == 200
    assert body["code"] == 0 and body["message"] == "success"
    assert body["data"]["inserted"] == 3 and body["data"]["products"] == 2
    assert count(Product) == 2 and count(Creator) == 2 and count(Sample) == 3
    tee = db.session.scalar(
        select(Product).where(Product.platform_product_id == "1234567890")
    )
    assert tee.name == "Sample Tee" and tee.stock == 10 and tee.is_showcase is True
    samples = db.session.scalars(
        select(Sample).where(Sample.product_id == tee.id)
    ).all()
    assert len(samples) == 2
    content = db.session.scalars(select(SampleContent)).first()
    assert content.type == "video" and content.type_number == 2
    assert content.view_count == 2000 and str(content.order_total_amount) == "120.50"
    logged = {e for (e,) in db.session.execute(select(CrawlLog.entity).distinct())}
    assert {"sample", "content", "creator"} <= logged


def test_samples_ingest_twice_changes_nothing(client, api_headers):
    body = samples_body(
        [sample_row(), sample_row(platformCreatorId="c-2", type="live", typeNumber=1)]
    )
    assert (
        client.post("/samples/ingest", json=body, headers=api_headers).status_code
        == 200
    )
    models = (Creator, Product, Sample, SampleContent, CrawlLog)
    before = {m: snapshot(m) for m in models}
    again = client.post("/samples/ingest", json=body, headers=api_headers)
    assert again.status_code == 200
    assert again.get_json()["data"]["created"] == 0
    assert again.get_json()["data"]["updated"] == 0
    after = {m: snapshot(m) for m in models}
    assert after == before


def test_samples_ingest_updates_changed_fields_and_logs_them(client, api_headers):
    client.post(
        "/samples/ingest", json=samples_body([sample_row()]), headers=api_headers
    )
    sample = db.session.scalars(select(Sample)).one()
    first_update = sample.updated_at
    changed = sample_row(status="shipped", promotionViewCount=5000, productName=None)
    response = client.post(
        "/samples/ingest", json=samples_body([changed]), headers=api_headers
    )
    assert response.get_json()["data"]["updated"] == 1
    sample = db.session.scalars(
        select(Sample).execution_options(populate_existing=True)
    ).one()
    assert sample.status == "shipped" and sample.updated_at >= first_update
    assert sample.product.name == "Sample Tee"  # a null field keeps what was known
    log = db.session.scalars(
        select(CrawlLog).where(
            CrawlLog.entity == "sample", CrawlLog.action == "updated"
        )
    ).one()
    assert log.changes["status"] == ["completed", "shipped"]
    assert log.source == "portal_tiktok_sample_crawler"
    content = db.session.scalars(select(SampleContent)).one()
    assert content.view_count == 5000


def test_samples_ingest_lists_each_bad_field_with_its_row(client, api_headers):
    rows = [
        sample_row(),
        sample_row(platformProductId=None, status=""),
        sample_row(type="podcast", promotionViewCount="many"),
        sample_row(platformCreatorId=None, platformCreatorUsername=None),
    ]
    response = client.post(
        "/samples/ingest", json=samples_body(rows), headers=api_headers
    )
    error = factories.api_error(response, 422)
    fields = {(e["row"], e["field"]) for e in error["details"]}
    assert (1, "rows[1].platformProductId") in fields
    assert (1, "rows[1].status") in fields
    assert (2, "rows[2].type") in fields
    assert (2, "rows[2].promotionViewCount") in fields
    assert any(row == 3 for row, _ in fields)
    assert "rows[1].platformProductId" in error["message"]
    assert count(Sample) == 0  # nothing is written when any row is bad


@pytest.mark.parametrize("path", ENDPOINTS)
def test_ingest_answers_bad_json_in_the_envelope(client, api_headers, path):
    response = client.post(
        path, data="{not json", headers=api_headers, content_type="application/json"
    )
    error = factories.api_error(response, 400)
    assert error["code"] == "invalid_json" and "JSON" in error["message"]


def test_ingest_refuses_a_body_over_the_size_limit(app, client, api_headers):
    app.config["OUTREACH_INGEST_MAX_BYTES"] = 2000
    rows = [sample_row(platformCreatorId=f"c-{i}") for i in range(20)]
    response = client.post(
        "/samples/ingest", json=samples_body(rows), headers=api_headers
    )
    error = factories.api_error(response, 413)
    assert error["code"] == "too_large" and "2000 bytes" in error["message"]


def test_creators_ingest_upserts_and_keeps_extra_fields(client, api_headers):
    body = {
        "source": "creator_crawler",
        "operatorId": "op-1",
        "options": {},
        "rows": [
            {
                "platformCreatorId": "c-1",
                "platformCreatorDisplayName": "One",
                "platformCreatorUsername": "@one",
                "connect": 1,
                "reply": 0,
                "send": "true",
                "whatsapp": "+52 55 1234 5678",
                "email": "one@example.com",
                "followers": 1200,
            },
            {"platformCreatorId": 42, "platformCreatorDisplayName": "Two"},
        ],
    }
    response = client.post("/creators/ingest", json=body, headers=api_headers)
    assert response.status_code == 200
    assert response.get_json()["data"] == {"inserted": 2, "created": 2, "updated": 0}
    one = db.session.scalar(select(Creator).where(Creator.platform_creator_id == "c-1"))
    assert one.connect is True and one.reply is False and one.send is True
    assert one.extra == {"followers": 1200} and one.platform == "tiktok"
    assert db.session.scalar(select(Creator).where(Creator.platform_creator_id == "42"))
    before = snapshot(Creator), count(CrawlLog)
    again = client.post("/creators/ingest", json=body, headers=api_headers)
    assert again.get_json()["data"] == {"inserted": 2, "created": 0, "updated": 0}
    assert (snapshot(Creator), count(CrawlLog)) == before


def test_creators_ingest_requires_a_creator_id(client, api_headers):
    body = {"rows": [{"platformCreatorId": "ok"}, {"platformCreatorDisplayName": "x"}]}
    response = client.post("/creators/ingest", json=body, headers=api_headers)
    assert factories.api_error(response, 422)["details"][0]["row"] == 1


def task_body(**over):
    task = {
        "taskId": "T-1",
        "platform": "tiktok",
        "taskName": "Holiday push",
        "campaignId": "cmp-1",
        "campaignName": "Holiday",
        "productId": "1234567890",
        "productName": "Sample Tee",
        "region": "MX",
        "brand": "Acme",
        "onlyFirst": 1,
        "taskType": "invite",
        "status": "running",
        "message": "Hi!",
        "accountEmail": "seller@acme.test",
        "searchKeywords": "tee",
        "minFans": 1000,
        "maxCreators": 50,
        "startedAt": "2025-01-02T10:00:00Z",
        "customFlag": {"deep": [1, 2]},
    }
    task.update(over)
    return {"source": "task_crawler", "operatorId": "op-1", "task": task}


def test_outreach_task_ingest_upserts_by_task_id_and_keeps_extras(client, api_headers):
    response = client.post(
        "/outreach_tasks/ingest", json=task_body(), headers=api_headers
    )
    assert response.status_code == 200
    data = response.get_json()["data"]
    assert data["taskId"] == "T-1" and data["action"] == "inserted"
    task = db.session.scalars(select(OutreachTask)).one()
    assert task.task_name == "Holiday push" and task.account_email == "seller@acme.test"
    assert task.payload["customFlag"] == {"deep": [1, 2]}
    assert task.payload["minFans"] == 1000
    stamp = task.updated_at
    same = client.post("/outreach_tasks/ingest", json=task_body(), headers=api_headers)
    assert same.get_json()["data"]["action"] == "unchanged"
    changed = client.post(
        "/outreach_tasks/ingest", json=task_body(status="finished"), headers=api_headers
    )
    assert changed.get_json()["data"]["action"] == "updated"
    task = db.session.scalars(
        select(OutreachTask).execution_options(populate_existing=True)
    ).one()
    assert count(OutreachTask) == 1 and task.status == "finished"
    assert task.updated_at >= stamp


def test_outreach_task_ingest_validates_the_task(client, api_headers):
    response = client.post(
        "/outreach_tasks/ingest",
        json=task_body(taskId="", startedAt="yesterday-ish"),
        headers=api_headers,
    )
    fields = {e["field"] for e in factories.api_error(response, 422)["details"]}
    assert {"task.taskId", "task.startedAt"} <= fields


def test_chatbot_messages_queue_and_send_each_message(client, api_headers, sandbox_url):
    import requests

    requests.delete(f"{sandbox_url}/chat/messages", timeout=5)
    client.post(
        "/creators/ingest",
        json={"rows": [{"platformCreatorId": "c-1"}]},
        headers=api_headers,
    )
    body = [
        {
            "platformCreatorId": "c-1",
            "messages": [
                {"type": "text", "content": "Hello!"},
                {"type": "text", "content": "Any news?", "meta": {"lang": "en"}},
            ],
        }
    ]
    response = client.post("/chatbot/messages", json=body, headers=api_headers)
    assert response.status_code == 200
    assert response.get_json() == {
        "code": 0,
        "message": "success",
        "data": {"count": 1, "messages": 2},
    }
    # Huey runs immediately in tests: the batch was dispatched to the sandbox chat.
    statuses = db.session.scalars(select(MessageLog.status)).all()
    assert statuses == ["sent", "sent"]
    received = requests.get(f"{sandbox_url}/chat/messages", timeout=5).json()[
        "messages"
    ]
    assert [m["content"] for m in received] == ["Hello!", "Any news?"]
    assert received[1]["meta"] == {"lang": "en"}


def test_chatbot_messages_reject_bad_items(client, api_headers):
    bad = client.post(
        "/chatbot/messages",
        json=[
            {"platformCreatorId": "x", "messages": []},
            {"messages": [{"type": "text"}]},
        ],
        headers=api_headers,
    )
    rows = {e["row"] for e in factories.api_error(bad, 422)["details"]}
    assert rows == {0, 1}
    not_list = client.post(
        "/chatbot/messages",
        data=json.dumps({"a": 1}),
        content_type="application/json",
        headers=api_headers,
    )
    assert not_list.status_code == 422
    assert count(MessageLog) == 0 and count(Creator) == 0


def test_chatbot_messages_accept_a_creator_not_yet_ingested(
    client, api_headers, sandbox_url
):
    import requests

    requests.delete(f"{sandbox_url}/chat/messages", timeout=5)
    body = [
        {"platformCreatorId": "new-1", "messages": [{"type": "text", "content": "hi"}]},
        {"platformCreatorId": "new-1", "messages": [{"type": "text", "content": "2"}]},
    ]
    response = client.post("/chatbot/messages", json=body, headers=api_headers)
    assert response.status_code == 200, response.get_json()
    # The creator is recorded once, under the default platform, with a crawl log
    # naming the chatbot; the messages went out by its platformCreatorId.
    (creator,) = db.session.scalars(select(Creator)).all()
    assert (creator.platform, creator.platform_creator_id) == ("tiktok", "new-1")
    log = db.session.scalar(select(CrawlLog).where(CrawlLog.entity == "creator"))
    assert (log.action, log.source, log.entity_id) == (
        "inserted",
        "chatbot",
        creator.id,
    )
    assert db.session.scalars(select(MessageLog.status)).all() == ["sent", "sent"]
    received = requests.get(f"{sandbox_url}/chat/messages", timeout=5).json()[
        "messages"
    ]
    assert {m["platformCreatorId"] for m in received} == {"new-1"}
    # A later crawl fills the same creator in.
    client.post(
        "/creators/ingest",
        json={
            "rows": [{"platformCreatorId": "new-1", "platformCreatorUsername": "@n"}]
        },
        headers=api_headers,
    )
    (creator,) = db.session.scalars(select(Creator)).all()
    db.session.refresh(creator)
    assert creator.username == "@n"


def test_every_crawl_log_keeps_the_ingestion_options(client, api_headers):
    client.post(
        "/samples/ingest", json=samples_body([sample_row()]), headers=api_headers
    )
    client.post(
        "/creators/ingest",
        json={
            "source": "creator_crawler",
            "options": {"platform": "tiktok", "depth": 2},
            "rows": [{"platformCreatorId": "c-9"}],
        },
        headers=api_headers,
    )
    client.post("/outreach_tasks/ingest", json=task_body(), headers=api_headers)
    logs = db.session.scalars(select(CrawlLog)).all()
    by_source = {}
    for log in logs:
        by_source.setdefault(log.source, set()).add(
            json.dumps(log.options, sort_keys=True)
        )
    assert by_source["portal_tiktok_sample_crawler"] == {json.dumps({"region": "MX"})}
    assert by_source["creator_crawler"] == {
        json.dumps({"depth": 2, "platform": "tiktok"})
    }
    assert {log.entity for log in logs} >= {"sample", "creator", "task"}


def test_ingest_is_scoped_to_the_token_workspace(client, api_headers, other_workspace):
    client.post(
        "/samples/ingest", json=samples_body([sample_row()]), headers=api_headers
    )
    other = {"X-API-Key": factories.make_token(other_workspace.id)}
    client.post("/samples/ingest", json=samples_body([sample_row()]), headers=other)
    assert count(Sample) == 2 and count(Creator) == 2
    unknown = client.post(
        "/chatbot/messages",
        headers=other,
        json=[
            {
                "platformCreatorId": "c-1",
                "messages": [{"type": "text", "content": "hi"}],
            }
        ],
    )
    assert unknown.status_code == 200


def test_ingest_refuses_too_many_rows(app, client, api_headers):
    app.config["OUTREACH_INGEST_MAX_ROWS"] = 2
    rows = [sample_row(platformCreatorId=f"c-{i}") for i in range(3)]
    response = client.post(
        "/samples/ingest", json=samples_body(rows), headers=api_headers
    )
    error = factories.api_error(response, 413)
    assert error["code"] == "too_many_rows" and "at most 2 rows" in error["message"]
