"""Dedupe cost at scale: blocked candidates (address / grid cell) vs all pairs per postcode.

A synthetic country: places in a few dense postcodes, each listed by 1-3 of 4 platforms
with each platform's spelling and a few metres of geocoding noise. Prints the time, the
pairs compared, and how many true twins were merged (recall) with no false merge.
"""

from __future__ import annotations

import argparse
import random
import time
from collections import defaultdict

from aggregator.dedupe import candidate_pairs, group_places
from aggregator.models import Location

PLATFORMS = ("doctolib", "maiia", "keldoc", "mapharma")
WORDS = ("Thabor", "Lices", "Gare", "Marché", "Alma", "Croix", "Colombier", "Mairie", "Port",
         "Halles", "Bourg", "Moulin", "Pont", "Parc", "Lac", "Forge", "Vigne", "Roses")


def country(places: int, postcodes: int, seed: int) -> tuple[list[Location], dict[str, int]]:
    rng = random.Random(seed)
    out: list[Location] = []
    truth: dict[str, int] = {}
    for p in range(places):
        postcode = f"{35000 + rng.randrange(postcodes):05d}"
        lat, lon = 48.0 + rng.uniform(0, 0.05), -1.7 + rng.uniform(0, 0.07)
        name = f"Pharmacie {rng.choice(WORDS)} {rng.choice(WORDS)} {p}"
        street = f"{rng.randint(1, 300)} rue {rng.choice(WORDS)}"
        for platform in rng.sample(PLATFORMS, rng.choice((1, 1, 2, 3))):
            lid = f"{platform}:{p}"
            truth[lid] = p
            out.append(Location(
                id=lid, platform=platform, upstream_id=str(p),
                name=name.upper() if platform == "maiia" else name,
                address=street.replace("rue", "r.") if platform == "keldoc" else street,
                postcode=postcode, area="35", lat=lat + rng.uniform(-2e-4, 2e-4),
                lon=lon + rng.uniform(-2e-4, 2e-4)))
    return out, truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--places", type=int, default=20_000)
    parser.add_argument("--postcodes", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    locations, truth = country(args.places, args.postcodes, args.seed)
    started = time.perf_counter()
    place_of = group_places(locations)
    seconds = time.perf_counter() - started
    per_postcode: dict[str, int] = defaultdict(int)
    for loc in locations:
        per_postcode[loc.postcode] += 1
    all_pairs = sum(n * (n - 1) // 2 for n in per_postcode.values())
    compared = len(candidate_pairs(locations))
    groups: dict[str, set[int]] = defaultdict(set)  # place key -> true places in it
    sizes: dict[str, int] = defaultdict(int)
    for lid, key in place_of.items():
        groups[key].add(truth[lid])
        sizes[key] += 1
    false_merges = sum(1 for g in groups.values() if len(g) > 1)
    listings: dict[int, int] = defaultdict(int)
    for place in truth.values():
        listings[place] += 1
    twins = {p for p, n in listings.items() if n > 1}
    merged = {next(iter(g)) for k, g in groups.items() if len(g) == 1 and sizes[k] > 1}
    print(f"locations: {len(locations)} ({args.places} places, {args.postcodes} postcodes)")
    print(f"group_places: {seconds:.2f}s; pairs compared {compared:,} vs {all_pairs:,} "
          f"all-pairs-per-postcode (ratio {all_pairs / max(1, compared):.0f}x fewer)")
    print(f"places on several platforms merged: {len(merged & twins)}/{len(twins)}; "
          f"false merges: {false_merges}")


if __name__ == "__main__":
    main()
