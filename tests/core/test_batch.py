"""Script calls of one loop turn share a pipeline, yet each caller gets its own answer."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import redis.asyncio as aredis
from redis.exceptions import ResponseError

from cache.batch import call_script
from cache.keys import Keys

ECHO_OR_FAIL = """
if ARGV[1] == 'fail' then return redis.error_reply('asked to fail') end
redis.call('INCR', KEYS[1])
return ARGV[1]
"""


async def test_one_turn_one_pipeline_own_results(redis: aredis.Redis, keys: Keys,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    script = redis.register_script(ECHO_OR_FAIL)
    await script(keys=[keys.prefix + "n"], args=["warm"])  # loaded before the batch
    pipelines = 0
    make = redis.pipeline

    def counted(*a: Any, **kw: Any) -> Any:
        nonlocal pipelines
        pipelines += 1
        return make(*a, **kw)

    monkeypatch.setattr(redis, "pipeline", counted)
    words = [f"w{i}" for i in range(40)] + ["fail"]
    results = await asyncio.gather(
        *(call_script(script, [keys.prefix + "n"], [w]) for w in words),
        return_exceptions=True)
    assert results[:-1] == words[:-1]
    assert isinstance(results[-1], ResponseError)  # only the failing call fails
    assert pipelines == 1
    assert int(await redis.get(keys.prefix + "n") or 0) == 41  # warm-up + 40, each atomic


async def test_a_script_unknown_to_the_server_is_loaded(redis: aredis.Redis,
                                                        keys: Keys) -> None:
    """A fresh script (as after a Redis restart) still answers when batched."""
    script = redis.register_script(ECHO_OR_FAIL + f"-- {keys.prefix}\n")
    results = await asyncio.gather(*(call_script(script, [keys.prefix + "m"], [str(i)])
                                     for i in range(5)))
    assert results == [str(i) for i in range(5)]


def test_hiredis_packing_is_redis_py_packing() -> None:
    """The C packer sends the same bytes; what it refuses, redis-py still packs or rejects."""
    from redis.asyncio import Connection

    from cache.connection import PackedConnection

    fast, plain = PackedConnection(), Connection()
    for args in (("EVALSHA", "abc", 2, "k1", "k2", 1.5, "é", b"x", 10**20),
                 ("CONFIG GET", "maxmemory"), ("SET", "k", memoryview(b"ab"))):
        assert b"".join(fast.pack_command(*args)) == b"".join(plain.pack_command(*args))
