"""Child processes of these tests write under the test's key prefix; whatever happens in
the test, that prefix (and only it) is deleted afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis as sync_redis

from cache.cleanup import delete_prefix_sync
from cache.keys import Keys


@pytest.fixture(autouse=True)
def delete_prefix_after(redis_url: str, keys: Keys) -> Iterator[None]:
    yield
    client = sync_redis.Redis.from_url(redis_url)
    try:
        delete_prefix_sync(client, keys.prefix)
    finally:
        client.close()
