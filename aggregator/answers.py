"""Responses prepared once and sent as they are: the bytes on the wire plus the same
headers as a mapping (for the aiohttp wrapper)."""

from __future__ import annotations

from dataclasses import dataclass

from multidict import CIMultiDict, CIMultiDictProxy

from aggregator import http_cache

Headers = CIMultiDictProxy[str]


def _headers(items: dict[str, str]) -> Headers:
    return CIMultiDictProxy(CIMultiDict(items))


STATUS_LINES = {
    200: b"HTTP/1.1 200 OK\r\n",
    304: b"HTTP/1.1 304 Not Modified\r\n",
    400: b"HTTP/1.1 400 Bad Request\r\n",
    404: b"HTTP/1.1 404 Not Found\r\n",
    405: b"HTTP/1.1 405 Method Not Allowed\r\n",
    408: b"HTTP/1.1 408 Request Timeout\r\n",
    414: b"HTTP/1.1 414 URI Too Long\r\n",
    431: b"HTTP/1.1 431 Request Header Fields Too Large\r\n",
    503: b"HTTP/1.1 503 Service Unavailable\r\n",
    505: b"HTTP/1.1 505 HTTP Version Not Supported\r\n",
}


@dataclass(frozen=True)
class Answer:
    """A response prepared once: headers for aiohttp, and the same on the wire (status line,
    headers, Content-Length; the server adds Date, Connection and the blank line)."""

    status: int
    headers: Headers
    body: bytes
    wire: bytes

    @classmethod
    def make(cls, status: int, headers: dict[str, str], body: bytes = b"") -> Answer:
        length = 0 if status == 304 else len(body)
        lines = [f"{name}: {value}\r\n" for name, value in headers.items()]
        wire = STATUS_LINES[status] + "".join(lines).encode("latin-1")
        if status != 304:
            wire += b"Content-Length: %d\r\n" % length
        return cls(status, _headers(headers), body, wire)


RETRY_AFTER_SECONDS = "5"
PLAIN = "text/plain; charset=utf-8"


def _error(status: int, text: str, cache: str, **extra: str) -> Answer:
    headers = {"Content-Type": PLAIN, "Cache-Control": cache, **extra,
               **http_cache.SECURITY_HEADERS}
    return Answer.make(status, headers, text.encode())


NOT_PUBLISHED = _error(503, "site not published yet; retry shortly\n", http_cache.NO_STORE,
                       **{"Retry-After": RETRY_AFTER_SECONDS})
NOT_FOUND = _error(404, "not found\n", http_cache.ERROR_CACHE)
BAD_REQUEST = _error(400, "bad request\n", http_cache.NO_STORE)
NOT_ALLOWED = _error(405, "method not allowed\n", http_cache.NO_STORE, Allow="GET, HEAD")
HEAD_TOO_LARGE = _error(431, "request header fields too large\n", http_cache.NO_STORE)
URI_TOO_LONG = _error(414, "request line too long\n", http_cache.NO_STORE)
TIMEOUT = _error(408, "request timeout\n", http_cache.NO_STORE)
BAD_VERSION = _error(505, "HTTP/1.0 and HTTP/1.1 only\n", http_cache.NO_STORE)
OVERLOADED = _error(503, "too many connections\n", http_cache.NO_STORE, **{"Retry-After": "1"})
