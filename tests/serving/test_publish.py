"""Publishing: precompressed variants, manifest, hard-linked unchanged files, incremental
reads from Redis, and failures that leave the previous release serving."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import brotli
import redis.asyncio as aredis

from aggregator.clock import ManualClock
from aggregator.config import SiteSettings
from aggregator.manifest import MANIFEST_NAME, load_manifest
from aggregator.models import Location
from aggregator.publish import Publisher, current_release
from aggregator.site_state import ReloadPolicy
from cache.keys import Keys
from cache.store import Store, WriteOutcome
from tests.serving.conftest import STYLE
from tests.serving.synthetic import poll_result
from tests.serving.tree import served_files

ROOT = Path(__file__).resolve().parents[2]


def inode(path: Path) -> int:
    return path.stat().st_ino


async def change_one(store: Store, locations: list[Location], index: int,
                     clock: ManualClock) -> Location:
    changed = locations[index]
    clock.advance(1)  # a poll at the stored checked_at would be rejected as stale
    report = await store.write(changed, poll_result(index, clock.now(), variant=1), clock.now())
    assert report.outcome is WriteOutcome.CHANGED, report
    return changed


async def test_variants_and_manifest(publisher: Publisher, locations: list[Location]) -> None:
    await publisher.publish()
    release = current_release(publisher.output_dir)
    assert release is not None
    manifest = load_manifest(release)
    assert manifest is not None and manifest.release == release.name
    html = release / "index.html"
    data = html.read_bytes()
    entry = manifest.files["index.html"]
    assert entry.size == len(data) and entry.gzip and entry.br
    assert gzip.decompress((release / "index.html.gz").read_bytes()) == data
    assert brotli.decompress((release / "index.html.br").read_bytes()) == data
    assert int(html.stat().st_mtime) == entry.mtime  # nginx's Last-Modified/ETag agree
    assert set(manifest.files) == set(served_files(release))
    assert MANIFEST_NAME not in manifest.files


async def test_unchanged_files_are_hard_linked(publisher: Publisher, store: Store,
                                               locations: list[Location],
                                               clock: ManualClock) -> None:
    first_report = await publisher.publish()
    first = current_release(publisher.output_dir)
    assert first is not None and first_report.linked == 0
    changed = await change_one(store, locations, 3, clock)
    report = await publisher.publish()
    second = current_release(publisher.output_dir)
    assert second is not None and second != first
    assert not report.full_read and report.linked > 0 and report.written >= 1
    changed_page = f"area/{changed.area}.html"
    assert inode(second / changed_page) != inode(first / changed_page)
    assert (second / changed_page).read_bytes() != (first / changed_page).read_bytes()
    other = next(loc.area for loc in locations if loc.area != changed.area)
    for name in (f"area/{other}.html", f"area/{other}.html.gz", f"area/{other}.html.br",
                 STYLE):
        assert inode(second / name) == inode(first / name), name
    old, new = load_manifest(first), load_manifest(second)
    assert old is not None and new is not None
    assert new.files[f"area/{other}.html"] == old.files[f"area/{other}.html"]


async def test_mtime_is_when_the_bytes_first_appeared(publisher: Publisher, store: Store,
                                                      locations: list[Location],
                                                      clock: ManualClock) -> None:
    await publisher.publish()
    first = load_manifest(current_release(publisher.output_dir) or Path("-"))
    clock.advance(3600)
    await publisher.publish()
    second = load_manifest(current_release(publisher.output_dir) or Path("-"))
    assert first is not None and second is not None
    assert second.files[STYLE] == first.files[STYLE]
    assert second.files["status.json"].mtime == first.files["status.json"].mtime + 3600


async def test_reads_only_dirty_ids_between_full_reloads(store: Store, site: SiteSettings,
                                                         locations: list[Location],
                                                         clock: ManualClock) -> None:
    publisher = Publisher(store, site, clock, reload=ReloadPolicy(every_publishes=2))
    assert (await publisher.publish()).full_read
    # A change Redis holds but that nobody marked dirty stays unseen until a full reload:
    # proof that the incremental publish did not re-read everything.
    hidden = locations[7]
    await store.write(hidden, poll_result(7, clock.now(), variant=2), clock.now())
    await store.take_dirty()
    marked = await change_one(store, locations, 8, clock)
    assert publisher.state is not None
    before = publisher.state.availabilities[hidden.id]
    report = await publisher.publish()
    assert not report.full_read
    assert publisher.state.availabilities[hidden.id] == before
    assert publisher.state.availabilities[marked.id].slots == (
        await store.get_availabilities([marked.id]))[marked.id].slots
    await publisher.publish()  # second incremental one
    assert (await publisher.publish()).full_read  # every_publishes reached: reload
    assert publisher.state.availabilities[hidden.id] != before


async def test_new_location_appears_once_polled(publisher: Publisher, store: Store,
                                                locations: list[Location],
                                                clock: ManualClock) -> None:
    await publisher.publish()
    newcomer = locations[0].model_copy(update={"id": "synth:new", "upstream_id": "new",
                                               "name": "Maison médicale nouvelle"})
    await store.save_locations([newcomer], due_at=clock.now().timestamp())
    await store.write(newcomer, poll_result(1, clock.now()), clock.now())
    await publisher.publish()
    release = current_release(publisher.output_dir)
    assert release is not None
    assert "Maison médicale nouvelle" in (release / f"area/{newcomer.area}.html").read_text()


FSIZE_SCRIPT = textwrap.dedent("""
    import asyncio, resource, signal, sys
    from pathlib import Path
    from aggregator.clock import SystemClock
    from aggregator.config import SiteSettings
    from aggregator.publish import Publisher, PublishError
    from cache.connection import connect
    from cache.keys import Keys
    from cache.store import Store, WriteOutcome

    async def main() -> int:
        store = Store(connect(sys.argv[1]), Keys(sys.argv[2]))
        publisher = Publisher(store, SiteSettings(output_dir=Path(sys.argv[3])), SystemClock())
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-big write fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[4]), resource.RLIM_INFINITY))
        try:
            await publisher.publish()
        except PublishError as exc:
            print(exc)
            return 3
        return 0

    sys.exit(asyncio.run(main()))
""")


async def test_write_failure_keeps_previous_release(publisher: Publisher, redis: aredis.Redis,
                                                    redis_url: str, keys: Keys,
                                                    locations: list[Location],
                                                    store: Store, clock: ManualClock) -> None:
    await publisher.publish()
    first = current_release(publisher.output_dir)
    assert first is not None
    await change_one(store, locations, 5, clock)
    limit = min(p.stat().st_size for p in served_files(first).values()
                if p.suffix == ".html") - 1
    assert limit > 0
    proc = subprocess.run(
        [sys.executable, "-c", FSIZE_SCRIPT, redis_url, keys.prefix,
         str(publisher.output_dir), str(limit)],
        cwd=ROOT, capture_output=True, timeout=60, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 3, proc.stderr
    assert "publish failed, previous release kept" in proc.stdout
    assert "File too large" in proc.stdout
    assert current_release(publisher.output_dir) == first
    assert [p.name for p in (publisher.output_dir / "releases").iterdir()] == [first.name]
    assert await redis.scard(keys.dirty) == 1  # the change is retried next time


async def test_reloads_fully_after_another_publisher_took_the_dirty_ids(
    publisher: Publisher, store: Store, site: SiteSettings, locations: list[Location],
    clock: ManualClock,
) -> None:
    await publisher.publish()
    assert not (await publisher.publish()).full_read  # ours was the last publish: incremental
    changed = await change_one(store, locations, 11, clock)
    other = Publisher(store, site, clock)  # the fleet's publish lock moved to another process
    await other.publish()
    report = await publisher.publish()  # no dirty ids left for us, but we must see the change
    assert report.full_read
    assert publisher.state is not None
    assert publisher.state.availabilities[changed.id] == (
        await store.get_availabilities([changed.id]))[changed.id]
