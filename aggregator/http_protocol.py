"""A lean HTTP/1.1 server for prepared static answers (GET/HEAD, no request bodies).

aiohttp spends ~50 µs of Python per request on machinery a static site does not need
(a Request object, a task step, header multidicts, response serialization). Here a
request is parsed in one pass over its head, answered by ``Responder.respond`` with
prepared bytes, and written in one ``transport.write``; pipelined requests are answered
in order. Strict on input: request line, header size and count bounded, no bodies
(``Content-Length`` other than 0 or any ``Transfer-Encoding`` is a 400, so nothing can be
smuggled), a connection cap, a header-read timeout (slowloris) and an idle timeout.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from email.utils import formatdate
from typing import Protocol

from aggregator.answers import (
    BAD_REQUEST,
    BAD_VERSION,
    HEAD_TOO_LARGE,
    OVERLOADED,
    TIMEOUT,
    URI_TOO_LONG,
    Answer,
)


@dataclass(frozen=True)
class Limits:
    max_line: int = 4096  # request line
    max_field: int = 8190  # one header line
    max_head: int = 16384  # request line + headers
    max_headers: int = 64
    max_connections: int = 4096
    keepalive: float = 15.0  # seconds idle between requests
    header_timeout: float = 10.0  # seconds to send a complete request head


class Responder(Protocol):
    def respond(self, method: str, target: str, accept_encoding: str,
                if_none_match: str | None, if_modified_since: str | None) -> Answer: ...


class RequestError(Exception):
    def __init__(self, answer: Answer) -> None:
        super().__init__(answer.status)
        self.answer = answer


@dataclass(frozen=True, slots=True)
class RequestHead:
    method: str
    target: str
    keep_alive: bool
    http10: bool = False  # a 1.0 client keeps the connection only if told so
    accept_encoding: str = ""
    if_none_match: str | None = None
    if_modified_since: str | None = None


def parse_head(head: bytes, limits: Limits) -> RequestHead:
    """One request head (without the blank line) -> what the site needs; RequestError
    carries the answer for anything malformed or over a limit."""
    lines = head.split(b"\r\n")
    line = lines[0]
    if len(line) > limits.max_line:
        raise RequestError(URI_TOO_LONG)
    parts = line.split(b" ")
    if len(parts) != 3 or not parts[0].isalpha() or not parts[0].isupper():
        raise RequestError(BAD_REQUEST)
    method, target, version = parts
    if version == b"HTTP/1.1":
        keep = True
    elif version == b"HTTP/1.0":
        keep = False
    else:
        raise RequestError(BAD_VERSION if version.startswith(b"HTTP/") else BAD_REQUEST)
    if len(lines) - 1 > limits.max_headers:
        raise RequestError(HEAD_TOO_LARGE)
    accept = ""
    inm: str | None = None
    ims: str | None = None
    for raw in lines[1:]:
        if len(raw) > limits.max_field:
            raise RequestError(HEAD_TOO_LARGE)
        name, sep, value = raw.partition(b":")
        if not sep or not name or name[-1] in b" \t" or name[0] in b" \t":
            raise RequestError(BAD_REQUEST)  # also obs-fold continuation lines
        key = name.lower()
        if key == b"accept-encoding":
            accept = value.strip().decode("latin-1")
        elif key == b"if-none-match":
            inm = value.strip().decode("latin-1")
        elif key == b"if-modified-since":
            ims = value.strip().decode("latin-1")
        elif key == b"connection":
            tokens = value.lower()
            if b"close" in tokens:
                keep = False
            elif b"keep-alive" in tokens:
                keep = True
        elif key == b"content-length":
            if value.strip() != b"0":
                raise RequestError(BAD_REQUEST)
        elif key == b"transfer-encoding":
            raise RequestError(BAD_REQUEST)
    try:
        path = target.decode("ascii")
    except UnicodeDecodeError:
        raise RequestError(BAD_REQUEST) from None
    return RequestHead(method.decode("ascii"), path, keep, version == b"HTTP/1.0", accept, inm,
                       ims)


class Registry:
    """All open connections, a one-second tick for timeouts, and the cached Date header."""

    def __init__(self, loop: asyncio.AbstractEventLoop, limits: Limits) -> None:
        self.loop = loop
        self.limits = limits
        self.connections: set[HttpConnection] = set()
        self.tick = 0
        self.date = b""
        self._timer: asyncio.TimerHandle | None = None
        self._sweep()

    def _sweep(self) -> None:
        self.tick += 1
        self.date = b"Date: " + formatdate(usegmt=True).encode() + b"\r\n"
        for conn in list(self.connections):
            conn.check_timeouts(self.tick)
        self._timer = self.loop.call_later(1.0, self._sweep)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        for conn in list(self.connections):
            conn.close()


class HttpConnection(asyncio.Protocol):
    def __init__(self, site: Responder, registry: Registry) -> None:
        self.site = site
        self.registry = registry
        self.limits = registry.limits
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.seen = registry.tick
        self.waiting_since: int | None = None  # tick when a partial head arrived
        self.closing = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        if len(self.registry.connections) >= self.limits.max_connections:
            self._send(OVERLOADED, head_only=False, keep=False)
            return
        self.registry.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.registry.connections.discard(self)
        self.closing = True

    def pause_writing(self) -> None:  # a slow reader: stop reading its requests
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.transport is not None and not self.closing:
            self.transport.resume_reading()

    def data_received(self, data: bytes) -> None:
        self.seen = self.registry.tick
        buffer = self.buffer + data if self.buffer else data
        while buffer and not self.closing:
            end = buffer.find(b"\r\n\r\n")
            if end < 0 or end > self.limits.max_head:
                if end > self.limits.max_head or len(buffer) > self.limits.max_head:
                    self._send(self._oversized(buffer), head_only=False, keep=False)
                elif self.waiting_since is None:
                    self.waiting_since = self.registry.tick
                break
            head, buffer = buffer[:end], buffer[end + 4 :]
            self.waiting_since = None
            try:
                request = parse_head(head, self.limits)
            except RequestError as exc:
                self._send(exc.answer, head_only=False, keep=False)
                break
            answer = self.site.respond(request.method, request.target, request.accept_encoding,
                                       request.if_none_match, request.if_modified_since)
            self._send(answer, request.method == "HEAD", request.keep_alive, request.http10)
        self.buffer = b"" if self.closing else buffer

    def _oversized(self, buffer: bytes) -> Answer:
        first = buffer.find(b"\r\n")
        too_long_line = first < 0 and len(buffer) > self.limits.max_line
        return URI_TOO_LONG if too_long_line or first > self.limits.max_line else HEAD_TOO_LARGE

    def _send(self, answer: Answer, head_only: bool, keep: bool, http10: bool = False) -> None:
        transport = self.transport
        if transport is None or self.closing:
            return
        wire = answer.wire + self.registry.date
        if not keep:
            wire += b"Connection: close\r\n\r\n"
        else:
            wire += b"Connection: keep-alive\r\n\r\n" if http10 else b"\r\n"
        if not head_only and answer.body:
            wire += answer.body
        transport.write(wire)
        if not keep:
            self.close()

    def check_timeouts(self, tick: int) -> None:
        if self.waiting_since is not None:
            if tick - self.waiting_since >= self.limits.header_timeout:
                self._send(TIMEOUT, head_only=False, keep=False)
        elif tick - self.seen >= self.limits.keepalive:
            self.close()

    def close(self) -> None:
        self.closing = True
        self.registry.connections.discard(self)
        if self.transport is not None:
            self.transport.close()


class ServerHandle:
    """What ``start_server`` returns: ``cleanup()`` stops listening and closes connections."""

    def __init__(self, server: asyncio.Server, registry: Registry) -> None:
        self.server = server
        self.registry = registry

    async def cleanup(self) -> None:
        self.server.close()
        self.registry.close()
        await self.server.wait_closed()


async def serve(site: Responder, host: str, port: int, limits: Limits) -> tuple[ServerHandle, int]:
    loop = asyncio.get_running_loop()
    registry = Registry(loop, limits)
    server = await loop.create_server(lambda: HttpConnection(site, registry), host, port,
                                      backlog=1024, reuse_address=True)
    bound = int(server.sockets[0].getsockname()[1])
    return ServerHandle(server, registry), bound
