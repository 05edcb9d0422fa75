"""Render benchmark: a full site of N synthetic places, then one changed place with the memo.

Prints seconds for the full render (fresh renderer), an unchanged re-render, a one-place
change, their ratio to the full render, and the compressed weight of the home page with
everything it loads. Targets: full < 3 s, one change < 0.2 s, home < 30 KB compressed.

    .venv/bin/python bench/render.py [--locations 10000] [--areas 100] [--seed 1]
"""

from __future__ import annotations

import argparse
import gzip
import random
import re
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import brotli

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--locations", type=int, default=10_000)
    parser.add_argument("--areas", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    locations, availabilities = synthetic(args.locations, args.areas, args.seed)
    slots = sum(len(a.slots) for a in availabilities.values())
    print(f"{len(locations)} places, {args.areas} areas, {slots} slots")

    renderer = SiteRenderer(SiteSettings())
    started, cpu = time.perf_counter(), time.process_time()
    files = renderer.render(locations, availabilities, NOW)
    full, full_cpu = time.perf_counter() - started, time.process_time() - cpu
    size = sum(len(v) for v in files.values())
    print(f"full render:        {full:7.3f} s  ({renderer.last.pages} pages, {len(files)} files, "
          f"{size / 1e6:.1f} MB)  cpu {full_cpu:.3f} s  "
          f"target < 3 s: {'MET' if full < 3 else 'MISSED'}")

    later = NOW + timedelta(seconds=40)  # same publish minute
    started, cpu = time.perf_counter(), time.process_time()
    renderer.render(locations, availabilities, later)
    unchanged, unchanged_cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"unchanged render:   {unchanged:7.3f} s  ({renderer.last.rendered} pages rebuilt)  "
          f"cpu {unchanged_cpu:.3f} s  ratio vs full {unchanged / full:.3f}")

    lid = next(lid for lid, a in availabilities.items() if len(a.slots) > 5)
    old = availabilities[lid]
    availabilities[lid] = old.model_copy(update={
        "slots": old.slots[1:], "changed_at": later, "checked_at": later, "valid_at": later,
        "last_ok_at": later,
    })
    started, cpu = time.perf_counter(), time.process_time()
    renderer.render(locations, availabilities, later)
    one, one_cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"one place changed:  {one:7.3f} s  ({renderer.last.rendered} pages rebuilt, "
          f"{renderer.last.views_computed} views)  cpu {one_cpu:.3f} s  "
          f"ratio vs full {one / full:.3f}  "
          f"target < 0.2 s: {'MET' if one < 0.2 else 'MISSED'}")
    home_weight(files)
    print("(machine shared with other engineers: timings are depressed by their load)")


if __name__ == "__main__":
    main()
