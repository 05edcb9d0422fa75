"""Render benchmark: a full site of N synthetic places, then one changed place with the memo.

Each measurement runs in a fresh process (a daemon starting): the full render, an
unchanged re-render, a one-place change. ``--repeat`` processes per side, medians judged
against the targets (full < 3 s, one change < 0.2 s); with ``--baseline REF`` that
revision's renderer runs side by side from a temporary git worktree, interleaved with this
tree's runs, on the same synthetic world, and the ratios are printed. Then the compressed
weight of the home page with everything it loads (target < 30 KB).

    .venv/bin/python bench/render.py [--locations 10000] [--areas 100] [--seed 1]
        [--repeat 5] [--baseline a777a7a]
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import brotli

# this tree's renderer, or with --code-root a baseline worktree's (this file's world)
sys.path.insert(0, sys.argv[sys.argv.index("--code-root") + 1] if "--code-root" in sys.argv
                else str(Path(__file__).resolve().parents[1]))

from aggregator.config import SiteSettings
from aggregator.models import Availability, Location, Slot, Status
from aggregator.pages import SiteRenderer

NOW = datetime(2026, 3, 2, 8, 30, 17, tzinfo=UTC)
TYPES = ("general", "vaccine", "pediatric", "dental")


# first syllables weighted roughly as French commune names start ("Saint-" alone is about
# one in twelve): the search index is split by prefix, so its sizes depend on this spread
HEADS = (("Saint-", 12), ("Sainte-", 2), ("La ", 3), ("Le ", 4), ("Les ", 1), ("Mont", 2),
         ("Bour", 2), ("Vil", 3), ("Bel", 1), ("Cha", 4), ("Mar", 3), ("Ber", 2), ("Fon", 1),
         ("Beau", 2), ("Ro", 3), ("Sau", 2), ("Ver", 2), ("Cou", 3), ("Bo", 3), ("Pa", 2),
         ("Lan", 2), ("Ma", 3), ("Gi", 1), ("Tre", 2), ("Vau", 1), ("Cam", 1), ("Pon", 2),
         ("É", 2), ("Au", 2), ("Or", 1), ("Ne", 2), ("Hé", 1), ("Dam", 1), ("Ju", 1))
SYLLABLES = ("mar", "ville", "ger", "lon", "tin", "nay", "bert", "cel", "sur", "rac",
             "lès", "mont", "ac", "y", "é", "dan", "vil", "leu", "pré", "court")


def city_name(rng: random.Random) -> str:
    head = rng.choices([h for h, _ in HEADS], [w for _, w in HEADS])[0]
    body = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 3)))
    return head + (body.capitalize() if head[-1] in "- " else body)


def slot_count(rng: random.Random) -> int:
    """A rush: a third of places empty, most with a few dozen slots, a few big centres."""
    roll = rng.random()
    if roll < 0.33:
        return 0
    if roll < 0.85:
        return rng.randint(1, 40)
    return rng.randint(40, 300)


def synthetic(n: int, areas: int, seed: int) -> tuple[dict[str, Location], dict[str, Availability]]:
    rng = random.Random(seed)
    locations: dict[str, Location] = {}
    availabilities: dict[str, Availability] = {}
    cities = [(f"{a:02d}", city_name(rng), f"{a:02d}{c:03d}", 42 + rng.random() * 8,
               -4 + rng.random() * 11) for a in range(1, areas + 1) for c in range(20)]
    for i in range(n):
        code, city, postcode, lat, lon = cities[rng.randrange(len(cities))]
        platform = ("doctolib", "keldoc", "maiia", "mapharma")[i % 4]
        loc = Location(
            id=f"{platform}:{i}", platform=platform, upstream_id=str(i),
            name=f"Centre de santé {city} n°{i}", address=f"{rng.randint(1, 200)} rue de la Paix",
            postcode=postcode, city=city, area=code, lat=round(lat, 5), lon=round(lon, 5),
            booking_url=f"https://{platform}.example/booking/{i}",
            phone=f"+33 1 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} 00",
            appointment_types=tuple(rng.sample(TYPES, rng.randint(1, 3))),
        )
        locations[loc.id] = loc
        count = slot_count(rng)
        base = NOW.replace(second=0, microsecond=0)
        slots = tuple(sorted(
            (Slot(start=base + timedelta(minutes=15 * rng.randint(2, 4 * 24 * 10)),
                  appointment_type=rng.choice(loc.appointment_types)) for _ in range(count)),
            key=Slot.sort_key,
        ))
        status = Status.OK if slots else Status.NO_SLOTS
        if rng.random() < 0.03:
            status, slots = Status.PHONE_ONLY, ()
        checked = NOW - timedelta(seconds=rng.randint(0, 600))
        availabilities[loc.id] = Availability(
            location_id=loc.id, status=status, slots=slots, checked_at=checked,
            valid_at=checked, changed_at=checked - timedelta(minutes=5), last_ok_at=checked,
        )
    return locations, availabilities


def compressed(data: bytes) -> tuple[int, int]:
    return len(gzip.compress(data, 9)), len(brotli.compress(data, quality=11))


def home_weight(files: dict[str, bytes]) -> None:
    home = files["index.html"]
    assets = re.findall(rb'(?:href|src)="(static/[^"]+)"', home)
    initial = ["index.html", *(a.decode() for a in assets), "status.json"]
    # typing loads the index head and one prefix shard: the largest is the worst case
    shards = [name for name in files if name.startswith("data/search/")]
    largest = max(shards, key=lambda name: len(gzip.compress(files[name], 9)))
    on_search = ["data/search.json", largest]
    print(f"({len(shards)} search shards; the largest shown)")
    print("home page weight (bytes: raw / gzip -9 / brotli 11):")
    totals = [0, 0, 0]
    for label, group in (("initial load", initial), ("+ typing (largest shard)", on_search)):
        for name in group:
            raw = len(files[name])
            gz, br = compressed(files[name])
            totals = [totals[0] + raw, totals[1] + gz, totals[2] + br]
            print(f"  {name:36s} {raw:8d} {gz:7d} {br:7d}")
        verdict = ", ".join(f"{name} {'MET' if size < 30_000 else 'MISSED'}"
                            for name, size in (("gzip", totals[1]), ("brotli", totals[2])))
        print(f"  = {label:34s} {totals[0]:8d} {totals[1]:7d} {totals[2]:7d}"
              f"   target < 30 KB: {verdict}")


def measure(locations: dict[str, Location], availabilities: dict[str, Availability],
            ) -> tuple[dict[str, float], dict[str, bytes]]:
    """A daemon's first publish (full render), a re-render with nothing changed, and a
    one-place change, on one fresh renderer."""
    renderer = SiteRenderer(SiteSettings())
    started, cpu = time.perf_counter(), time.process_time()
    files = renderer.render(locations, availabilities, NOW)
    figures = {"full": time.perf_counter() - started, "full_cpu": time.process_time() - cpu,
               "pages": renderer.last.pages, "files": len(files),
               "mb": sum(len(v) for v in files.values()) / 1e6}
    later = NOW + timedelta(seconds=40)  # same publish minute
    started, cpu = time.perf_counter(), time.process_time()
    renderer.render(locations, availabilities, later)
    figures |= {"unchanged": time.perf_counter() - started,
                "unchanged_cpu": time.process_time() - cpu,
                "unchanged_pages": renderer.last.rendered}
    lid = next(lid for lid, a in availabilities.items() if len(a.slots) > 5)
    old = availabilities[lid]
    availabilities = dict(availabilities)
    availabilities[lid] = old.model_copy(update={
        "slots": old.slots[1:], "changed_at": later, "checked_at": later, "valid_at": later,
        "last_ok_at": later,
    })
    started, cpu = time.perf_counter(), time.process_time()
    renderer.render(locations, availabilities, later)
    figures |= {"one": time.perf_counter() - started, "one_cpu": time.process_time() - cpu,
                "one_pages": renderer.last.rendered, "one_views": renderer.last.views_computed}
    return figures, files


def run_child(args: argparse.Namespace, code_root: Path | None) -> dict[str, float]:
    """One measurement in a fresh process (a daemon starting), optionally on the code of
    another revision (``code_root``) with this file's world."""
    command = [sys.executable, __file__, "--child", "--locations", str(args.locations),
               "--areas", str(args.areas), "--seed", str(args.seed)]
    if code_root is not None:
        command += ["--code-root", str(code_root)]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    figures: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return figures


def summary(values: list[float]) -> str:
    return (f"{statistics.median(values):6.3f} s (min {min(values):.3f}, "
            f"max {max(values):.3f})")


@contextlib.contextmanager
def worktree(ref: str) -> Iterator[Path]:
    root = Path(__file__).resolve().parents[1]
    path = Path(tempfile.mkdtemp(prefix="render-baseline-"))
    subprocess.run(["git", "-C", str(root), "worktree", "add", "--detach", str(path), ref],
                   check=True, capture_output=True)
    try:
        yield path
    finally:
        subprocess.run(["git", "-C", str(root), "worktree", "remove", "--force", str(path)],
                       check=False, capture_output=True)
        shutil.rmtree(path, ignore_errors=True)


TARGETS = {"full": 3.0, "one": 0.2}
LABELS = {"full": "full render", "unchanged": "unchanged render", "one": "one place changed"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--locations", type=int, default=10_000)
    parser.add_argument("--areas", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5,
                        help="fresh processes per side; medians are judged (CPU speed on a "
                             "shared VM varies by 30 %% from one run to the next)")
    parser.add_argument("--baseline", metavar="REF",
                        help="git revision whose renderer runs side by side, interleaved")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--code-root", help=argparse.SUPPRESS)
    args = parser.parse_args()
    locations, availabilities = synthetic(args.locations, args.areas, args.seed)
    if args.child:
        print(json.dumps(measure(locations, availabilities)[0]))
        return
    slots = sum(len(a.slots) for a in availabilities.values())
    print(f"{len(locations)} places, {args.areas} areas, {slots} slots; "
          f"{args.repeat} fresh processes per side")
    runs: dict[str, list[dict[str, float]]] = {"this tree": []}
    with contextlib.ExitStack() as stack:
        base = stack.enter_context(worktree(args.baseline)) if args.baseline else None
        if base is not None:
            runs[f"baseline {args.baseline}"] = []
        for _ in range(args.repeat):  # interleaved: both sides see the same machine moods
            runs["this tree"].append(run_child(args, None))
            if base is not None:
                runs[f"baseline {args.baseline}"].append(run_child(args, base))
    first = runs["this tree"][0]
    print(f"site: {first['pages']:.0f} pages, {first['files']:.0f} files, {first['mb']:.1f} MB")
    for key, label in LABELS.items():
        line = f"{label:18s}"
        medians = {}
        for side, figures in runs.items():
            values = [f[key] for f in figures]
            medians[side] = statistics.median(values)
            cpu = statistics.median(f[key + "_cpu"] for f in figures)
            line += f"  {side}: {summary(values)} cpu {cpu:.3f} s"
        if len(medians) == 2:
            mine, theirs = medians.values()
            line += f"  ratio {mine / theirs:.2f}x"
        if key in TARGETS:
            line += (f"  target < {TARGETS[key]} s: "
                     f"{'MET' if medians['this tree'] < TARGETS[key] else 'MISSED'}")
        print(line)
    print(f"rebuilt: unchanged {first['unchanged_pages']:.0f} pages; one place "
          f"{first['one_pages']:.0f} pages, {first['one_views']:.0f} views")
    _, files = measure(locations, availabilities)
    home_weight(files)


if __name__ == "__main__":
    main()
