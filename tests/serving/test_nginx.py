"""deploy/nginx.conf under a real nginx (Debian's), on a free loopback port: the same
headers, precompressed variants, 304s and refusals as the built-in server."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import brotli
import httpx
import pytest

from aggregator import http_cache
from aggregator.config import SiteSettings
from aggregator.models import Location
from aggregator.nginx_conf import brotli_available
from aggregator.publish import Publisher, current_release
from aggregator.site_paths import location_page
from tests.serving.conftest import STYLE, fetch, raw_request
from tests.serving.nginx import free_port, nginx_missing, production_config, running_nginx
from tests.serving.test_server import ASSET, HASHED, extra_files, hand_release

pytestmark = pytest.mark.skipif(nginx_missing() is not None, reason=str(nginx_missing()))


@pytest.fixture
def nginx_port(site: SiteSettings, tmp_path: Path) -> Iterator[int]:
    site.output_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = production_config(site.output_dir / "current", port, tmp_path / "nginx")
    with running_nginx(config, tmp_path / "nginx", port):
        yield port


@pytest.fixture
async def nginx(nginx_port: int) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{nginx_port}") as client:
        yield client


async def test_headers_and_precompressed_variants(site: SiteSettings,
                                                  nginx: httpx.AsyncClient) -> None:
    files = extra_files()
    hand_release(site.output_dir, "r1", files, 1_770_000_000)
    plain, plain_body = await fetch(nginx, "/", {"Accept-Encoding": "identity"})
    assert plain_body == files["index.html"] and "content-encoding" not in plain.headers
    gz, gz_body = await fetch(nginx, "/", {"Accept-Encoding": "gzip"})
    assert gz.headers["content-encoding"] == "gzip"
    assert gzip.decompress(gz_body) == files["index.html"]
    br, br_body = await fetch(nginx, "/index.html", {"Accept-Encoding": "gzip, br"})
    if brotli_available():
        assert br.headers["content-encoding"] == "br"
        assert brotli.decompress(br_body) == files["index.html"]
    for response in (plain, gz, br):
        assert response.headers["vary"] == "Accept-Encoding"
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert response.headers["cache-control"] == http_cache.PAGE_CACHE
        for name, value in http_cache.SECURITY_HEADERS.items():
            assert response.headers[name] == value
        assert response.headers["last-modified"] == http_cache.http_date(1_770_000_000)
    asset, asset_body = await fetch(nginx, "/" + HASHED, {"Accept-Encoding": "gzip"})
    assert asset.headers["cache-control"] == http_cache.IMMUTABLE_CACHE
    assert asset.headers["content-type"] == "text/javascript; charset=utf-8"
    assert gzip.decompress(asset_body) == ASSET
    area_status, _ = await fetch(nginx, "/status/75.json")
    assert area_status.headers["cache-control"] == http_cache.STATUS_CACHE
    feed, _ = await fetch(nginx, "/feed.atom")
    assert feed.headers["content-type"] == "application/atom+xml"
    _, en_body = await fetch(nginx, "/en/", {"Accept-Encoding": "identity"})
    assert en_body == files["en/index.html"]
    missing, missing_body = await fetch(nginx, "/area/999.html", {"Accept-Encoding": "identity"})
    assert missing.status_code == 404 and missing_body == files["404.html"]
    assert "cache-control" not in missing.headers  # never an immutable 404
    assert missing.headers["x-content-type-options"] == "nosniff"


async def test_revalidation_across_publishes(publisher: Publisher, locations: list[Location],
                                             nginx: httpx.AsyncClient) -> None:
    await publisher.publish()
    first, _ = await fetch(nginx, "/" + STYLE, {"Accept-Encoding": "gzip"})
    assert first.status_code == 200
    status, _ = await fetch(nginx, "/status.json")
    assert status.headers["cache-control"] == http_cache.STATUS_CACHE
    await publisher.publish()
    for validators in ({"If-None-Match": first.headers["etag"]},
                       {"If-Modified-Since": first.headers["last-modified"]}):
        again, body = await fetch(nginx, "/" + STYLE,
                                  {"Accept-Encoding": "gzip", **validators})
        assert again.status_code == 304 and body == b""
        assert again.headers["etag"] == first.headers["etag"]


async def test_refusals(site: SiteSettings, nginx_port: int, tmp_path: Path) -> None:
    hand_release(site.output_dir, "r1", extra_files(), 1_770_000_000)
    (tmp_path / "secret.txt").write_text("TOP SECRET")
    for path in ("/../secret.txt", "/%2e%2e/%2e%2e/secret.txt", "/..%2f..%2fsecret.txt",
                 "/..\\..\\secret.txt", "/.manifest.json", "/.complete", "/area/", "/static/",
                 "/index.html%00"):
        status, reply = await raw_request(
            nginx_port, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        assert status in {400, 403, 404}, (path, status)
        assert b"TOP SECRET" not in reply and b"Index of" not in reply
    for method in ("POST", "PUT", "DELETE", "OPTIONS", "PATCH"):
        status, _ = await raw_request(
            nginx_port, f"{method} /index.html HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                        "Connection: close\r\n\r\n".encode())
        assert status == 405, method
    big = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 20_000 + b"\r\n\r\n"
    status, _ = await raw_request(nginx_port, big)
    assert status in {400, 431, 494}
    status, _ = await raw_request(nginx_port, b"GET /" + b"a" * 10_000 + b" HTTP/1.1\r\n\r\n")
    assert status in {400, 414}


async def test_serves_sharded_pages_through_the_shard_symlinks(
    publisher: Publisher, locations: list[Location], nginx: httpx.AsyncClient,
) -> None:
    await publisher.publish()
    release = current_release(publisher.output_dir)
    assert release is not None and (release / "location").is_symlink()
    page = location_page(locations[0].id)
    expected = (release / page).read_bytes()
    gz, gz_body = await fetch(nginx, "/" + page, {"Accept-Encoding": "gzip"})
    assert gz.status_code == 200 and gz.headers["content-encoding"] == "gzip"
    assert gzip.decompress(gz_body) == expected
    en, en_body = await fetch(nginx, "/en/" + page, {"Accept-Encoding": "identity"})
    assert en.status_code == 200 and en_body == (release / "en" / page).read_bytes()
    for refused in ("/shards/", "/location/", "/location/" + page.split("/")[1] + "/"):
        response, _ = await fetch(nginx, refused)
        assert response.status_code in {403, 404}, refused
