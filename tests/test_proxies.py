"""The rotating proxy pool, proven with real forward proxies on loopback."""

import time

import pytest
from sqlalchemy import select

from prospecting import tasks
from prospecting.extensions import db
from prospecting.models import JobBatch
from prospecting.models import ProxyHealth
from prospecting.providers import emails
from prospecting.providers import proxies
from prospecting.providers import reachstream
from prospecting.providers.errors import ProviderUnavailable
from prospecting.services import jobs
from prospecting.services import searches
from tests import factories
from tests.proxy_server import ForwardProxy
from tests.proxy_server import dead_proxy_url


@pytest.fixture
def forward_proxies():
    started = [ForwardProxy() for _ in range(3)]
    yield started
    for proxy in started:
        proxy.close()


def _use(app, urls, *, providers=("reachstream",), cooldown=60.0):
    app.config.update(
        PROVIDER_PROXIES=list(urls),
        PROXY_PROVIDERS=list(providers),
        PROXY_COOLDOWN_SECONDS=cooldown,
    )


def test_pool_rotates_round_robin():
    pool = proxies.ProxyPool(["a", "b", "c"], cooldown=60)
    assert [pool.choose() for _ in range(5)] == ["a", "b", "c", "a", "b"]


def test_pool_skips_a_cooling_proxy_until_its_cooldown_ends():
    pool = proxies.ProxyPool(["a", "b"], cooldown=0.2)
    pool.failed("a", "connection refused")
    assert [pool.choose() for _ in range(3)] == ["b", "b", "b"]
    time.sleep(0.25)
    assert "a" in {pool.choose(), pool.choose()}


def test_pool_with_every_proxy_cooling_raises_a_clear_error():
    pool = proxies.ProxyPool(["a", "b"], cooldown=30)
    pool.failed("a", "refused")
    pool.failed("b", "refused")
    with pytest.raises(proxies.NoHealthyProxy, match="all 2 proxies") as caught:
        pool.choose()
    assert 0 < caught.value.retry_after <= 30


def test_mask_hides_the_proxy_password():
    assert proxies.mask("http://user:s3cret@10.0.0.1:3128") == (
        "http://user:***@10.0.0.1:3128"
    )
    assert proxies.mask("http://10.0.0.1:3128") == "http://10.0.0.1:3128"


def test_requests_rotate_across_real_loopback_proxies(app, forward_proxies):
    _use(app, [p.url for p in forward_proxies])
    for _ in range(6):
        assert reachstream.credits() == 100_000
    assert [p.count for p in forward_proxies] == [2, 2, 2]
    method, url = forward_proxies[0].relayed[0]
    assert method == "POST"
    assert url.endswith("/sandbox/reachstream/api/Search/v1/users/active/credits")


def test_dead_proxy_is_skipped_cooled_down_and_counted(app, forward_proxies):
    dead = dead_proxy_url()
    live = forward_proxies[:2]
    _use(app, [dead, live[0].url, live[1].url])
    for _ in range(4):
        reachstream.credits()
    assert sum(p.count for p in live) == 4
    assert all(p.count >= 1 for p in live)
    health = {h["proxy"]: h for h in searches.proxy_health()}
    assert health[dead]["failures"] == 1
    assert health[dead]["requests"] == 1  # cooled down after its one failure
    assert health[dead]["cooling_for"] > 0
    assert health[dead]["last_error"] == "connection refused"
    assert health[live[0].url]["failures"] == 0
    assert sum(health[p.url]["requests"] for p in live) == 4


def test_no_healthy_proxy_fails_the_call_clearly(app):
    _use(app, [dead_proxy_url(), dead_proxy_url()])
    with pytest.raises(ProviderUnavailable, match="No healthy proxy"):
        reachstream.credits()
    with pytest.raises(proxies.NoHealthyProxy, match="ReachStream was not called"):
        reachstream.credits()


def test_provider_not_opted_in_goes_direct(app, forward_proxies):
    _use(app, [forward_proxies[0].url])
    emails.verify("someone@example.com")
    assert forward_proxies[0].count == 0
    app.config["PROXY_PROVIDERS"] = ["reachstream", "emails"]
    emails.verify("someone@example.com")
    assert forward_proxies[0].count == 1


def test_without_proxies_requests_go_direct(app):
    assert app.config["PROVIDER_PROXIES"] == []
    assert proxies.pool_for("reachstream") is None
    assert reachstream.credits() == 100_000
    assert db.session.scalars(select(ProxyHealth)).all() == []


def test_whole_search_runs_through_the_proxies(app, workspace, forward_proxies):
    _use(app, [p.url for p in forward_proxies])
    search = searches.start(workspace.id, None, {"job_title": ["CTO"]}, 4)
    [(batch_id, _)] = jobs.open_batches(search.id)
    tasks.enqueue_batches([(batch_id, searches.STEP)])
    db.session.get(JobBatch, batch_id).not_before = None
    db.session.commit()
    factories.run_batch(batch_id)
    db.session.refresh(search)
    assert search.status == "COMPLETED"
    relayed = [url for p in forward_proxies for _, url in p.relayed]
    assert any("/async/records/filter/data" in u for u in relayed)
    assert any("/records/batch-process?batch_process_id=" in u for u in relayed)
