"""The built-in server over loopback: negotiation, validators, cache headers, swaps, and
everything it must refuse."""

from __future__ import annotations

import asyncio
import gzip
import os
from pathlib import Path

import brotli
import httpx

from aggregator import http_cache
from aggregator.clock import ManualClock
from aggregator.config import SiteSettings
from aggregator.models import Location
from aggregator.publish import Publisher, current_release, swap_current, write_release
from tests.serving.conftest import STYLE, fetch, raw_request

HASHED = "static/app.0a1b2c3d4e.js"
ASSET = b"document.documentElement.dataset.ready = '1';\n" * 20


def hand_release(output_dir: Path, name: str, files: dict[str, bytes], now: int) -> Path:
    """A release built with the publisher's own writer, for files the renderer lacks."""
    target = output_dir / "releases" / name
    target.mkdir(parents=True)
    write_release(target, files, now=now)
    swap_current(output_dir, target)
    return target


def extra_files() -> dict[str, bytes]:
    page = b"<!doctype html><title>t</title>" + b"<p>slot</p>" * 100
    return {
        "index.html": page,
        "en/index.html": page.replace(b"slot", b"en slot"),
        "feed.atom": b"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'/>",
        "404.html": b"<!doctype html><title>gone</title><p>Not here.</p>",
        HASHED: ASSET,
        "area/75.html": page,
        "status/75.json": b'{"checked": {}}',
    }


async def test_negotiates_precompressed_variants(publisher: Publisher,
                                                 locations: list[Location],
                                                 http: httpx.AsyncClient) -> None:
    await publisher.publish()
    release = current_release(publisher.output_dir)
    assert release is not None
    original = (release / "index.html").read_bytes()
    br, br_body = await fetch(http, "/", {"Accept-Encoding": "gzip, br"})
    gz, gz_body = await fetch(http, "/", {"Accept-Encoding": "gzip"})
    plain, plain_body = await fetch(http, "/", {"Accept-Encoding": "identity"})
    _, refused_body = await fetch(http, "/", {"Accept-Encoding": "br;q=0, gzip;q=0"})
    assert br.headers["content-encoding"] == "br" and brotli.decompress(br_body) == original
    assert gz.headers["content-encoding"] == "gzip" and gzip.decompress(gz_body) == original
    assert "content-encoding" not in plain.headers and plain_body == original
    assert refused_body == original
    assert len(br_body) < len(gz_body) < len(original)
    for response in (br, gz, plain):
        assert response.headers["vary"] == "Accept-Encoding"
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert response.headers["cache-control"] == http_cache.PAGE_CACHE
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["referrer-policy"]
    assert len({br.headers["etag"], gz.headers["etag"], plain.headers["etag"]}) == 3


async def test_conditional_requests(publisher: Publisher, locations: list[Location],
                                    http: httpx.AsyncClient) -> None:
    await publisher.publish()
    first, _ = await fetch(http, "/status.json", {"Accept-Encoding": "br"})
    assert first.status_code == 200
    assert first.headers["cache-control"] == http_cache.STATUS_CACHE
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    by_tag, body = await fetch(http, "/status.json",
                               {"Accept-Encoding": "br", "If-None-Match": etag})
    assert by_tag.status_code == 304 and body == b""
    assert by_tag.headers["etag"] == etag and by_tag.headers["cache-control"]
    by_date, _ = await fetch(http, "/status.json", {"If-Modified-Since": modified})
    assert by_date.status_code == 304
    stale_tag, _ = await fetch(http, "/status.json", {"If-None-Match": '"old"',
                                                      "If-Modified-Since": modified})
    assert stale_tag.status_code == 200
    head, head_body = await fetch(http, "/status.json", method="HEAD")
    assert head.status_code == 200 and head_body == b""
    assert int(head.headers["content-length"]) > 0


async def test_validators_survive_a_publish_of_unchanged_bytes(
    publisher: Publisher, locations: list[Location], http: httpx.AsyncClient
) -> None:
    await publisher.publish()
    before, _ = await fetch(http, "/" + STYLE, {"Accept-Encoding": "br"})
    first = current_release(publisher.output_dir)
    await publisher.publish()
    assert current_release(publisher.output_dir) != first
    after, _ = await fetch(http, "/" + STYLE,
                           {"Accept-Encoding": "br", "If-None-Match": before.headers["etag"]})
    assert after.status_code == 304
    assert after.headers["etag"] == before.headers["etag"]
    assert after.headers["last-modified"] == before.headers["last-modified"]


async def test_hashed_assets_types_and_directories(site: SiteSettings, port: int,
                                                   http: httpx.AsyncClient) -> None:
    hand_release(site.output_dir, "r1", extra_files(), 1_770_000_000)
    asset, body = await fetch(http, "/" + HASHED, {"Accept-Encoding": "gzip"})
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert asset.headers["content-type"] == "text/javascript; charset=utf-8"
    assert gzip.decompress(body) == ASSET
    feed, _ = await fetch(http, "/feed.atom")
    assert feed.headers["content-type"] == "application/atom+xml"
    _, home_body = await fetch(http, "/", {"Accept-Encoding": "identity"})
    _, en_body = await fetch(http, "/en/", {"Accept-Encoding": "identity"})
    assert home_body == extra_files()["index.html"] and b"en slot" in en_body
    assert (await http.get("/?utm=x")).status_code == 200
    missing, missing_body = await fetch(http, "/area/999.html", {"Accept-Encoding": "identity"})
    assert missing.status_code == 404 and b"Not here." in missing_body
    assert missing.headers["x-content-type-options"] == "nosniff"
    for listing in ("/area/", "/static/", "/area"):
        assert (await http.get(listing)).status_code == 404, listing


async def test_unpublished_site_is_503(http: httpx.AsyncClient) -> None:
    response = await http.get("/")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.headers["cache-control"] == "no-store"


async def test_refuses_traversal_methods_and_oversized_requests(
    site: SiteSettings, port: int, tmp_path: Path
) -> None:
    release = hand_release(site.output_dir, "r1", extra_files(), 1_770_000_000)
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    os.symlink(secret, release / "leak.txt")
    os.symlink(tmp_path, release / "outside")
    (release / "inside.html").symlink_to(release / "index.html")  # loaded on first request
    attempts = [
        "/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E%2Fsecret.txt",
        "/area/..%2f..%2fsecret.txt",
        "/..\\secret.txt", "/%5c..%5csecret.txt", "/index.html%00.txt", "/leak.txt",
        "/outside/secret.txt", "/.manifest.json", "/.complete", "/index.html.br/",
        "//etc/passwd", "/releases/r1/index.html",
    ]
    for path in attempts:
        status, reply = await raw_request(
            port, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        assert status in {400, 404}, (path, status)
        assert b"TOP SECRET" not in reply and b"manifest" not in reply.split(b"\r\n\r\n")[1]
    status, reply = await raw_request(
        port, b"GET /inside.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status == 200  # a symlink within the release is fine
    for method in ("POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH"):
        status, reply = await raw_request(
            port, f"{method} / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                  "Connection: close\r\n\r\n".encode())
        assert status == 405 and b"Allow: GET, HEAD" in reply, method
    long_line = b"GET /" + b"a" * 10_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    big_header = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 20_000 + b"\r\n\r\n"
    many = b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(
        f"X-H{i}: v\r\n".encode() for i in range(200)) + b"\r\n"
    for request in (long_line, big_header, many):
        status, _ = await raw_request(port, request)
        assert status in {400, 413, 414, 431}, request[:40]


async def test_serves_the_new_release_right_after_a_swap(publisher: Publisher,
                                                         locations: list[Location],
                                                         site: SiteSettings, clock: ManualClock,
                                                         http: httpx.AsyncClient) -> None:
    site.keep_releases = 100
    bodies: set[bytes] = set()
    done = asyncio.Event()

    async def publish_many() -> None:
        for _ in range(6):
            clock.advance(1)  # status.json carries the publish time: every body differs
            await publisher.publish()
            release = current_release(site.output_dir)
            assert release is not None
            served = await http.get("/status.json")  # the very next request
            assert served.content == (release / "status.json").read_bytes()
            bodies.add(served.content)
            await asyncio.sleep(0)
        done.set()

    seen: list[int] = []

    async def read_while_publishing() -> None:
        while not done.is_set():
            response = await http.get("/status.json")
            if response.status_code == 200:
                seen.append(response.status_code)
                assert response.content in complete_status_files(site)
            await asyncio.sleep(0)

    # a half-written release that nothing points at must never be served
    half = site.output_dir / "releases" / "00000000T000000-half"
    half.mkdir(parents=True)
    (half / "status.json").write_text('{"half": true}')
    await asyncio.gather(publish_many(), read_while_publishing())
    assert seen and len(bodies) == 6


def complete_status_files(site: SiteSettings) -> set[bytes]:
    return {
        (p / "status.json").read_bytes()
        for p in (site.output_dir / "releases").iterdir()
        if (p / ".complete").exists()
    }


async def test_make_app_serves_the_same_answers(site: SiteSettings) -> None:
    from aiohttp import web

    from aggregator.server import make_app

    hand_release(site.output_dir, "r1", extra_files(), 1_770_000_000)
    runner = web.AppRunner(make_app(site.output_dir), access_log=None)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    try:
        port = runner.addresses[0][1]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            ok, body = await fetch(client, "/", {"Accept-Encoding": "br"})
            assert ok.headers["content-encoding"] == "br"
            assert brotli.decompress(body) == extra_files()["index.html"]
            again, _ = await fetch(client, "/", {"Accept-Encoding": "br",
                                                 "If-None-Match": ok.headers["etag"]})
            assert again.status_code == 304
            assert (await client.post("/")).status_code == 405
            assert (await client.get("/%2e%2e/x")).status_code == 400
    finally:
        await runner.cleanup()
