"""Script calls of one event-loop turn go to Redis in one pipeline.

A poll runs about five Lua steps (admissions, the write, the reschedule); each alone costs
a send, a wake-up of Redis and of us, and redis-py's per-call bookkeeping, which made
round trips most of a poll's CPU. Tasks of one process that call a script in the same
loop turn now share one ``EVALSHA`` pipeline: no call waits longer than that turn, each
script stays atomic on its own, and each caller gets its own result or exception.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Sequence
from typing import Any

import redis.asyncio as aredis
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError

MAX_BATCH = 256  # calls in one pipeline at most

_Call = tuple[AsyncScript, Sequence[Any], Sequence[Any], "asyncio.Future[Any]"]
_batchers: weakref.WeakKeyDictionary[aredis.Redis, ScriptBatcher] = (
    weakref.WeakKeyDictionary())


class ScriptBatcher:
    def __init__(self, redis: aredis.Redis) -> None:
        self.redis = redis
        self._calls: list[_Call] = []
        self._flushing: set[asyncio.Task[None]] = set()

    async def call(self, script: AsyncScript, keys: Sequence[Any], args: Sequence[Any]) -> Any:
        """``script(keys=keys, args=args)``, sent with the other calls of this loop turn."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._calls.append((script, keys, args, future))
        if len(self._calls) == 1:
            asyncio.get_running_loop().call_soon(self._start_flush)
        return await future

    def _start_flush(self) -> None:
        calls, self._calls = self._calls, []
        for start in range(0, len(calls), MAX_BATCH):
            task = asyncio.create_task(self._send(calls[start : start + MAX_BATCH]))
            self._flushing.add(task)
            task.add_done_callback(self._flushing.discard)

    async def _send(self, calls: list[_Call]) -> None:
        if len(calls) == 1:
            await _settle(calls[0])
            return
        pipe = self.redis.pipeline(transaction=False)
        for script, keys, args, _ in calls:
            pipe.evalsha(script.sha, len(keys), *keys, *args)
        try:
            results = await pipe.execute(raise_on_error=False)
        except BaseException as exc:  # the connection failed: every caller hears it
            for *_, future in calls:
                if not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for call, result in zip(calls, results, strict=True):
            future = call[3]
            if isinstance(result, NoScriptError):  # Redis restarted: the script loads again
                await _settle(call)
            elif future.done():
                continue
            elif isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)


async def _settle(call: _Call) -> None:
    script, keys, args, future = call
    try:
        result = await script(keys=keys, args=args)  # loads the script if it must
    except Exception as exc:
        if not future.done():
            future.set_exception(exc)
        return
    if not future.done():
        future.set_result(result)


def batcher_for(redis: aredis.Redis) -> ScriptBatcher:
    """One batcher per client, so the store, the queue and the gate share pipelines."""
    found = _batchers.get(redis)
    if found is None:
        found = _batchers[redis] = ScriptBatcher(redis)
    return found


async def call_script(script: AsyncScript, keys: Sequence[Any], args: Sequence[Any]) -> Any:
    """Run a registered script through its client's batcher (a cluster client: directly)."""
    client = script.registered_client
    if not isinstance(client, aredis.Redis):
        return await script(keys=keys, args=args)
    return await batcher_for(client).call(script, keys, args)
