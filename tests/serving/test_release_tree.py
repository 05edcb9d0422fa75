"""Releases as trees of content-addressed shards: what a change rewrites, what is reused,
what pruning keeps, and what the built-in server re-reads."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aggregator.clock import ManualClock
from aggregator.config import SiteSettings
from aggregator.manifest import MANIFEST_NAME, FileEntry, digest, load_manifest, manifest_bytes
from aggregator.models import Location
from aggregator.publish import (
    COMPLETE_MARKER,
    Publisher,
    current_release,
    prune_releases,
    swap_current,
)
from aggregator.release_tree import (
    SHARDS,
    Published,
    load_published,
    referenced_shards,
    write_tree,
)
from aggregator.site_paths import location_page
from aggregator.site_release import LoadedRelease
from cache.store import Store
from tests.serving.synthetic import poll_result
from tests.serving.tree import served_files

PAGE = b"<!doctype html><title>t</title>" + b"<p>slot</p>" * 60


def site_files(changed: bytes = b"") -> dict[str, bytes]:
    return {
        "index.html": PAGE,
        "location/aa/one.html": PAGE + b"one" + changed,
        "location/bb/two.html": PAGE + b"two",
        "en/location/bb/two.html": PAGE + b"en two",
        "static/app.js": b"console.log(1);\n" * 40,
    }


def publish(out: Path, name: str, files: dict[str, bytes], now: int,
            previous: Published | None) -> tuple[Path, Published, int]:
    target = out / "releases" / name
    target.mkdir(parents=True)
    published, stats = write_tree(target, files, now, previous)
    (target / COMPLETE_MARKER).write_text("ok")
    swap_current(out, target)
    return target, published, stats.new_dirs


def test_place_pages_spread_over_256_stable_shards() -> None:
    pages = [location_page(f"synth:{i}") for i in range(5000)]
    shards = {p.split("/")[1] for p in pages}
    assert all(p.startswith("location/") and p.count("/") == 2 for p in pages)
    assert len(shards) > 250 and all(len(s) == 2 and int(s, 16) < 256 for s in shards)
    assert location_page("synth:7") == location_page("synth:7") == pages[7]


def test_a_change_writes_only_its_directory_and_ancestors(tmp_path: Path) -> None:
    first, before, _ = publish(tmp_path, "r1", site_files(), 1_000, None)
    second, after, new_dirs = publish(tmp_path, "r2", site_files(b"!"), 2_000, before)
    assert new_dirs == 3  # root, location/, location/aa/
    for unchanged in ("static", "en"):
        assert os.readlink(second / unchanged) == os.readlink(first / unchanged)
    assert os.path.realpath(second / "location/bb") == os.path.realpath(first / "location/bb")
    assert os.path.realpath(second / "location/aa") != os.path.realpath(first / "location/aa")
    assert os.path.samefile(second / "index.html", first / "index.html")  # hard link
    files = {rel: p.read_bytes() for rel, p in served_files(second).items()}
    assert files == site_files(b"!")
    manifest = load_manifest(second)
    assert manifest is not None and set(manifest.files) == set(files)
    assert manifest.files["location/aa/one.html"].mtime == 2_000
    assert manifest.files["location/bb/two.html"].mtime == 1_000
    for rel, entry in manifest.files.items():  # nginx's Last-Modified agrees
        assert int((second / rel).stat().st_mtime) == entry.mtime, rel
    assert after.entries == manifest.files


def test_nothing_changed_writes_only_the_root(tmp_path: Path) -> None:
    files = site_files()
    _, before, _ = publish(tmp_path, "r1", files, 1_000, None)
    copy = {rel: bytes(bytearray(data)) for rel, data in files.items()}  # equal, not same
    second, _, new_dirs = publish(tmp_path, "r2", copy, 2_000, before)
    assert new_dirs == 1
    # location, location/aa, location/bb, en, en/location, en/location/bb, static: no more
    assert len(os.listdir(tmp_path / SHARDS)) == 7
    manifest = load_manifest(second)
    assert manifest is not None and {e.mtime for e in manifest.files.values()} == {1_000}


def test_a_reverted_directory_reuses_its_shard_with_its_own_mtimes(tmp_path: Path) -> None:
    first, published, _ = publish(tmp_path, "r1", site_files(), 1_000, None)
    _, published, _ = publish(tmp_path, "r2", site_files(b"!"), 2_000, published)
    third, published, _ = publish(tmp_path, "r3", site_files(), 3_000, published)
    assert os.path.realpath(third / "location/aa") == os.path.realpath(first / "location/aa")
    entry = published.entries["location/aa/one.html"]
    assert entry.mtime == int((third / "location/aa/one.html").stat().st_mtime) == 1_000


def test_removed_files_and_emptied_directories_disappear(tmp_path: Path) -> None:
    _, published, _ = publish(tmp_path, "r1", site_files(), 1_000, None)
    files = site_files()
    del files["location/aa/one.html"], files["en/location/bb/two.html"]
    second, _, _ = publish(tmp_path, "r2", files, 2_000, published)
    assert set(served_files(second)) == set(files)
    assert not (second / "en").exists() and not (second / "location/aa").exists()


def test_prune_keeps_exactly_the_shards_of_kept_releases(tmp_path: Path) -> None:
    published = None
    for i in range(5):
        _, published, _ = publish(tmp_path, f"r{i}", site_files(str(i).encode()), i, published)
    orphan = tmp_path / SHARDS / ("f" * 64)  # a crash after a shard rename, before a swap
    orphan.mkdir()
    (tmp_path / SHARDS / ".tmp-crashed").mkdir()  # a crash while filling a shard
    prune_releases(tmp_path, keep=2)
    kept = sorted(p.name for p in (tmp_path / "releases").iterdir())
    assert kept == ["r3", "r4"]
    releases = [tmp_path / "releases" / k for k in kept]
    assert set(os.listdir(tmp_path / SHARDS)) == referenced_shards(releases, tmp_path / SHARDS)
    for release in releases:  # every file of every kept release is still there
        assert set(served_files(release)) == set(site_files())
    assert not orphan.exists()


async def test_crash_before_swap_keeps_serving_and_orphans_are_swept(
    store: Store, site: SiteSettings, locations: list[Location], clock: ManualClock,
) -> None:
    publisher = Publisher(store, site, clock)
    await publisher.publish()
    live = current_release(site.output_dir)
    assert live is not None
    served = {rel: p.read_bytes() for rel, p in served_files(live).items()}

    def crash(_: Path) -> None:
        raise OSError(28, "No space left on device")

    changed = locations[4]
    clock.advance(60)
    await store.write(changed, poll_result(4, clock.now(), variant=3), clock.now())
    crashing = Publisher(store, site, clock, before_swap=crash)
    with pytest.raises(Exception, match="previous release kept"):
        await crashing.publish()
    assert current_release(site.output_dir) == live
    assert {rel: p.read_bytes() for rel, p in served_files(live).items()} == served
    shards = site.output_dir / SHARDS
    orphans = set(os.listdir(shards)) - referenced_shards([live], shards)
    assert orphans  # the crashed publish had renamed its new shards into place
    await publisher.publish()
    releases = list((site.output_dir / "releases").iterdir())
    assert set(os.listdir(shards)) == referenced_shards(releases, shards)
    now = current_release(site.output_dir)
    assert now is not None and location_page(changed.id) in served_files(now)


def test_reload_reads_only_new_directories(tmp_path: Path) -> None:
    _, published, _ = publish(tmp_path, "r1", site_files(), 1_000, None)
    first = LoadedRelease.load(tmp_path / "current", None, tmp_path)
    assert set(first.resources) >= {"/", "/location/aa/one.html", "/en/location/bb/two.html"}
    publish(tmp_path, "r2", site_files(b"!"), 2_000, published)
    second = LoadedRelease.load(tmp_path / "current", first, tmp_path)
    assert second.walked == 3  # root, location/, location/aa/
    assert second.resources["/static/app.js"] is first.resources["/static/app.js"]
    assert second.resources["/location/bb/two.html"] is first.resources["/location/bb/two.html"]
    body = second.resources["/location/aa/one.html"].variants["identity"].ok.body
    assert body == site_files(b"!")["location/aa/one.html"]


def test_server_refuses_symlinks_out_of_the_output_dir_and_loops(tmp_path: Path) -> None:
    out = tmp_path / "site"
    release, _, _ = publish(out, "r1", site_files(), 1_000, None)
    (tmp_path / "secret.txt").write_text("TOP SECRET")
    os.symlink(tmp_path / "secret.txt", release / "leak.txt")
    os.symlink(tmp_path, release / "outside")
    os.symlink(release, release / "again")  # a loop
    os.symlink(out / SHARDS / os.path.basename(os.readlink(release / "static")),
               release / "assets")  # inside the output dir: fine
    loaded = LoadedRelease.load(out / "current", None, out)
    assert "/leak.txt" not in loaded.resources and "/outside/secret.txt" not in loaded.resources
    assert not any(url.startswith("/again/") for url in loaded.resources)
    assert "/assets/app.js" in loaded.resources
    strict = LoadedRelease.load(out / "current")  # no boundary given: the release itself
    assert "/static/app.js" not in strict.resources and "/index.html" in strict.resources


def test_page_count_follows_additions_and_removals(tmp_path: Path) -> None:
    _, published, _ = publish(tmp_path, "r1", site_files(), 1_000, None)
    assert published.pages == 4
    files = site_files()
    del files["location/aa/one.html"]
    files["location/cc/three.html"] = files["en/location/cc/three.html"] = PAGE
    target = tmp_path / "releases" / "r2"
    target.mkdir()
    after, stats = write_tree(target, files, 2_000, published)
    assert stats.pages == after.pages == 5 == sum(rel.endswith(".html") for rel in files)


def test_a_release_from_before_shards_is_linked_from(tmp_path: Path) -> None:
    """The first publish after an upgrade: the live release has plain directories and one
    flat manifest."""
    legacy = tmp_path / "releases" / "r0"
    files = site_files()
    entries = {}
    for rel, data in files.items():
        (legacy / rel).parent.mkdir(parents=True, exist_ok=True)
        (legacy / rel).write_bytes(data)
        os.utime(legacy / rel, (500, 500))
        entries[rel] = FileEntry(size=len(data), sha256=digest(data), mtime=500)
    (legacy / MANIFEST_NAME).write_bytes(manifest_bytes("r0", entries))
    previous = load_published(legacy)
    assert previous is not None and previous.entries == entries
    target, _, _ = publish(tmp_path, "r1", files, 1_000, previous)
    assert (target / "location").is_symlink()
    for rel in files:
        assert os.path.samefile(target / rel, legacy / rel), rel  # linked, not rewritten
    manifest = load_manifest(target)
    assert manifest is not None and manifest.files == entries
