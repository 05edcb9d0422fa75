"""Child processes of these tests write under the test's key prefix; whatever happens in
the test, that prefix (and only it) is deleted afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis as sync_redis

from cache.keys import Keys


@pytest.fixture(autouse=True)
def delete_prefix_after(redis_url: str, keys: Keys) -> Iterator[None]:
    yield
    client = sync_redis.Redis.from_url(redis_url)
    try:
        for key in client.scan_iter(match=f"{keys.prefix}*", count=1000):
            client.delete(key)
    finally:
        client.close()
