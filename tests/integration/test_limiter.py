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
