"""The pure HTTP policy: negotiation, validators, cache lifetimes, types, compression."""

from __future__ import annotations

import gzip

import brotli
import pytest

from aggregator import http_cache
from aggregator.precompress import PARALLEL_BYTES, compress, compress_all, gzip_bytes


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip, deflate, br", ("br", "gzip", "identity")),
        ("gzip", ("gzip", "identity")),
        ("br;q=0.5, gzip;q=0.8", ("gzip", "br", "identity")),
        ("br;q=0, gzip;q=0", ("identity",)),
        ("", ("identity",)),
        ("*", ("br", "gzip", "identity")),
        ("gzip, identity;q=0", ("gzip",)),
        ("*;q=0", ()),
        ("BR;Q=1, GZip", ("br", "gzip", "identity")),
        ("gzip;q=bogus, br", ("br", "identity")),
    ],
)
def test_accepted_encodings(header: str, expected: tuple[str, ...]) -> None:
    assert http_cache.accepted_encodings(header) == expected


def test_cache_lifetimes() -> None:
    assert http_cache.cache_control("static/app.0123456789.js") == http_cache.IMMUTABLE_CACHE
    assert http_cache.cache_control("static/img/logo.abcdef0123.svg").endswith("immutable")
    assert "max-age=10," in http_cache.cache_control("status.json")
    assert http_cache.cache_control("status/75.json") == http_cache.STATUS_CACHE
    assert http_cache.cache_control("data/status.json") == http_cache.PAGE_CACHE
    page = http_cache.cache_control("area/75.html")
    assert "max-age=60" in page and "stale-while-revalidate=300" in page
    assert "stale-if-error=86400" in page
    # not hashed: a name that can keep its name across contents must stay short-lived
    assert http_cache.cache_control("static/app.js") == http_cache.PAGE_CACHE
    assert http_cache.cache_control("static/app.0123456789abcdef.js") == http_cache.PAGE_CACHE
    assert http_cache.cache_control("static/app.ABCDEF0123.js") == http_cache.PAGE_CACHE


def test_content_types() -> None:
    assert http_cache.content_type("feed.atom") == "application/atom+xml"
    assert http_cache.content_type("index.html") == "text/html; charset=utf-8"
    assert http_cache.content_type("status.json") == "application/json"
    assert http_cache.content_type("static/app.0123456789.js").startswith("text/javascript")
    assert http_cache.content_type("blob.unknown") == "application/octet-stream"


def test_validators() -> None:
    etag = '"abc"'
    assert http_cache.etag_matches('"abc"', etag)
    assert http_cache.etag_matches('W/"abc"', etag)
    assert http_cache.etag_matches('"x", "abc"', etag)
    assert http_cache.etag_matches("*", etag)
    assert not http_cache.etag_matches('"abcd"', etag)
    mtime = 1_770_000_000
    same = http_cache.http_date(mtime)
    earlier = http_cache.http_date(mtime - 1)
    assert http_cache.not_modified(None, same, etag, mtime)
    assert not http_cache.not_modified(None, earlier, etag, mtime)
    assert not http_cache.not_modified(None, "not a date", etag, mtime)
    # If-None-Match takes precedence over If-Modified-Since
    assert not http_cache.not_modified('"other"', same, etag, mtime)


def test_precompressed_variants_decode_to_the_original() -> None:
    page = ("<p>Centre de santé: créneau libre</p>\n" * 200).encode()
    variants = compress("area/75.html", page)
    assert variants.gzip is not None and variants.br is not None
    assert gzip.decompress(variants.gzip) == page
    assert brotli.decompress(variants.br) == page
    assert len(variants.br) < len(page) and len(variants.gzip) < len(page)
    assert gzip_bytes(page) == gzip_bytes(page)  # deterministic: no timestamp inside


def test_compressing_many_files_at_once_gives_what_each_would_get() -> None:
    files = {
        "data/locations.json": b'[' + b'{"id": "synth:1", "slots": 3},' * 40_000 + b'{}]',
        "area/75.html": ("<p>Centre de santé</p>\n" * 300).encode(),
        "x.png": b"\x89PNG" * 500,
        "tiny.html": b"<p>hi</p>",
    }
    assert sum(map(len, files.values())) > PARALLEL_BYTES  # the threaded path
    assert compress_all(files) == {rel: compress(rel, data) for rel, data in files.items()}
    big = compress_all(files)["data/locations.json"]
    assert big.br is not None and brotli.decompress(big.br) == files["data/locations.json"]


def test_small_and_binary_files_are_not_compressed() -> None:
    assert compress("tiny.html", b"<p>hi</p>") == compress("x.png", b"\x89PNG" * 500)
    assert compress("tiny.html", b"<p>hi</p>").gzip is None
    assert compress("x.png", b"\x89PNG" * 500).br is None


def test_nginx_template_renders_every_token() -> None:
    from pathlib import Path

    from aggregator.nginx_conf import TEMPLATE, NginxParams, render

    params = NginxParams(root=Path("/srv/site/current"), listen="127.0.0.1:8080", modules=None)
    config = render(TEMPLATE.read_text(), params)
    assert "@@" not in config and "root /srv/site/current;" in config
    assert "listen 127.0.0.1:8080 " in config
    directives = [line.split("#")[0] for line in config.splitlines()]
    assert not any("brotli" in d for d in directives)  # module absent: left out
    with_brotli = render(TEMPLATE.read_text(), NginxParams(Path("/r"), "80"))
    assert "load_module /usr/lib/nginx/modules/ngx_http_brotli_static_module.so;" in with_brotli
    assert "brotli_static on;" in with_brotli
    assert http_cache.CONTENT_SECURITY_POLICY in config  # one policy for both servers
    with pytest.raises(ValueError, match="@@NOPE@@"):
        render("x @@NOPE@@", params)
