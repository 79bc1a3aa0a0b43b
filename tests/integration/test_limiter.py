"""The providers' shared limiter on Redis: one window for every process."""

import redis

from prospecting.providers import limiter

KEY = "prospecting:limiter:test:2/1s"


def test_the_redis_window_is_shared_and_answers_in_one_round_trip(redis_url):
    client = redis.Redis.from_url(redis_url)
    client.delete(KEY)
    one = limiter.window(redis_url, "test", 2, 1.0)
    other = limiter.window(redis_url, "test", 2, 1.0)  # as another process's
    assert one.reserve(5).wait == 0 and other.reserve(5).wait == 0
    third = one.reserve(5)
    assert third.granted and 0.9 < third.wait <= 1.0, "the first call's slot"
    before = client.lrange(KEY, 0, -1)
    refused = other.reserve(0.5)
    assert not refused.granted and refused.wait > 0.5
    assert client.lrange(KEY, 0, -1) == before, "a refusal reserves nothing"
    client.delete(KEY)


def test_a_full_redis_window_spaces_its_grants_evenly(redis_url):
    key = "prospecting:limiter:spaced:4/1s"
    client = redis.Redis.from_url(redis_url)
    client.delete(key)
    window = limiter.window(redis_url, "spaced", 4, 1.0)
    waits = [window.reserve(60).wait for _ in range(12)]
    assert waits[:4] == [0, 0, 0, 0], "an idle window lets a burst go"
    # Later grants: a quarter of a second apart (less the time between asks).
    gaps = [b - a for a, b in zip(waits[4:], waits[5:], strict=False)]
    assert all(0.24 < gap <= 0.251 for gap in gaps), gaps
    client.delete(key)
