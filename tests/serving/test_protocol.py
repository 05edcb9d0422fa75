"""The lean HTTP/1.1 protocol: parsing limits, no bodies, keep-alive, pipelining, the
connection cap and the header-read timeout, over real loopback sockets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from aggregator.config import SiteSettings
from aggregator.http_protocol import Limits, RequestError, parse_head
from aggregator.server import start_server
from tests.serving.conftest import raw_request
from tests.serving.test_server import extra_files, hand_release

LIMITS = Limits()


def test_parse_head_reads_what_the_site_needs() -> None:
    head = parse_head(b"GET /area/75.html?x=1 HTTP/1.1\r\nHost: a\r\nAccept-Encoding: br, gzip"
                      b"\r\nIf-None-Match: \"abc\"\r\nIf-Modified-Since: Mon, 02 Feb 2026 "
                      b"02:40:00 GMT", LIMITS)
    assert (head.method, head.target, head.keep_alive) == ("GET", "/area/75.html?x=1", True)
    assert head.accept_encoding == "br, gzip" and head.if_none_match == '"abc"'
    assert head.if_modified_since == "Mon, 02 Feb 2026 02:40:00 GMT"
    assert not parse_head(b"GET / HTTP/1.1\r\nConnection: close", LIMITS).keep_alive
    old = parse_head(b"GET / HTTP/1.0\r\nConnection: Keep-Alive", LIMITS)
    assert old.keep_alive and old.http10
    assert not parse_head(b"GET / HTTP/1.0", LIMITS).keep_alive
    assert parse_head(b"GET / HTTP/1.1\r\nContent-Length: 0", LIMITS).keep_alive


@pytest.mark.parametrize(
    ("head", "status"),
    [
        (b"GET / HTTP/1.1\r\nContent-Length: 5", 400),  # no request bodies at all
        (b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked", 400),
        (b"GET / HTTP/1.1\r\nContent-Length: 0\r\nContent-Length: 7", 400),
        (b"GET / HTTP/1.1\r\nX: a\r\n folded", 400),
        (b"GET / HTTP/1.1\r\nBad Header : v", 400),
        (b"GET / HTTP/1.1\r\nnocolon", 400),
        (b"GET /", 400),
        (b"get / HTTP/1.1", 400),
        (b"GET / HTTP/2.0", 505),
        (b"GET / SPDY/3", 400),
        (b"GET /\xff HTTP/1.1", 400),
        (b"GET /" + b"a" * 5000 + b" HTTP/1.1", 414),
        (b"GET / HTTP/1.1\r\n" + b"\r\n".join(b"X-%d: v" % i for i in range(65)), 431),
        (b"GET / HTTP/1.1\r\nX: " + b"v" * 9000, 431),
    ],
)
def test_parse_head_refuses(head: bytes, status: int) -> None:
    with pytest.raises(RequestError) as caught:
        parse_head(head, LIMITS)
    assert caught.value.answer.status == status


@pytest.fixture
async def small_server(site: SiteSettings) -> AsyncIterator[int]:
    hand_release(site.output_dir, "r1", extra_files(), 1_770_000_000)
    runner, port = await start_server(site.output_dir, "127.0.0.1", 0,
                                      Limits(max_connections=2, header_timeout=1, keepalive=2))
    try:
        yield port
    finally:
        await runner.cleanup()


async def read_responses(reader: asyncio.StreamReader, count: int) -> list[tuple[int, bytes]]:
    """Parse ``count`` responses (status, body) off one connection, by Content-Length."""
    found = []
    for _ in range(count):
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        found.append((status, await reader.readexactly(length)))
    return found


async def test_pipelined_requests_are_answered_in_order(small_server: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", small_server)
    try:
        writer.write(b"GET /feed.atom HTTP/1.1\r\nHost: x\r\n\r\n"
                     b"HEAD /en/ HTTP/1.1\r\nHost: x\r\n\r\n"
                     b"GET /missing HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await writer.drain()
        responses = await read_responses(reader, 1)
        assert responses[0] == (200, extra_files()["feed.atom"])
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)  # HEAD: no body
        assert head.startswith(b"HTTP/1.1 200") and b"Content-Length: " in head
        rest = await read_responses(reader, 2)
        assert rest[0][0] == 404 and b"Not here." in rest[0][1]
        assert rest[1] == (200, extra_files()["index.html"])
    finally:
        writer.close()
        await writer.wait_closed()


async def test_connection_cap_and_slow_headers(small_server: int) -> None:
    first = await asyncio.open_connection("127.0.0.1", small_server)
    second = await asyncio.open_connection("127.0.0.1", small_server)
    try:
        status, reply = await raw_request(small_server, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert status == 503 and b"Retry-After: 1" in reply
        # a slowloris that never finishes its head is answered 408 and closed
        reader, writer = first
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        await writer.drain()
        reply = await asyncio.wait_for(reader.read(), timeout=5)
        assert reply.startswith(b"HTTP/1.1 408")
        # an idle keep-alive connection is closed too
        assert await asyncio.wait_for(second[0].read(), timeout=6) == b""
    finally:
        for _, writer in (first, second):
            writer.close()


async def test_cleanup_closes_open_connections(site: SiteSettings, tmp_path: Path) -> None:
    hand_release(site.output_dir, "r1", extra_files(), 1_770_000_000)
    runner, port = await start_server(site.output_dir, "127.0.0.1", 0)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (await read_responses(reader, 1))[0][0] == 200
    await runner.cleanup()
    assert await asyncio.wait_for(reader.read(), timeout=5) == b""
    writer.close()
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port)
