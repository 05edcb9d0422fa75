"""Freshness at a fixed request budget: one interval for every location (ViteMaDose)
against the adaptive policy, on the same simulated rush, the same budget and the same
protection. Prints one table and whether each target is met; never tuned to flatter.

    .venv/bin/python bench/freshness.py [--seed N] [--days D] [--locations N]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aggregator.adaptive.settings import AdaptiveSettings
from aggregator.simulation.metrics import FreshnessReport, measure
from aggregator.simulation.runner import (
    ProviderSpec,
    RunConfig,
    Simulation,
    fixed_policy,
)
from aggregator.simulation.scenario import default_providers, equal_budget_interval
from aggregator.simulation.world import World, WorldConfig


def ratio(baseline: float, ours: float) -> str:
    if ours == 0:
        return "inf" if baseline > 0 else "-"
    if math.isnan(baseline) or math.isnan(ours):
        return "-"
    return f"{baseline / ours:.2f}x"


def fmt(value: float, unit: str = "") -> str:
    if math.isnan(value):
        return "-"
    if abs(value) >= 1e6:
        return f"{value / 1e6:.2f}M{unit}"
    if abs(value) >= 1e4:
        return f"{value / 1e3:.1f}k{unit}"
    return f"{value:.0f}{unit}" if abs(value) >= 10 else f"{value:.2f}{unit}"


def table(
    fixed: FreshnessReport, ours: FreshnessReport, providers: tuple[ProviderSpec, ...]
) -> list[tuple[str, str, str, str]]:
    rows = [
        ("phantom-slot views", fmt(fixed.phantom_views), fmt(ours.phantom_views),
         ratio(fixed.phantom_views, ours.phantom_views)),
        ("missed-slot views", fmt(fixed.missed_views), fmt(ours.missed_views),
         ratio(fixed.missed_views, ours.missed_views)),
        ("release->shown p50", fmt(fixed.discovery_p50, "s"), fmt(ours.discovery_p50, "s"),
         ratio(fixed.discovery_p50, ours.discovery_p50)),
        ("release->shown p95", fmt(fixed.discovery_p95, "s"), fmt(ours.discovery_p95, "s"),
         ratio(fixed.discovery_p95, ours.discovery_p95)),
        ("  p95 weighted by views", fmt(fixed.discovery_p95_viewed, "s"),
         fmt(ours.discovery_p95_viewed, "s"),
         ratio(fixed.discovery_p95_viewed, ours.discovery_p95_viewed)),
        ("slots never shown", f"{fixed.never_shown:.1%}", f"{ours.never_shown:.1%}",
         ratio(fixed.never_shown, ours.never_shown)),
        ("upstream requests", str(fixed.requests), str(ours.requests),
         ratio(fixed.requests, ours.requests)),
    ]
    for spec, f, o in zip(providers, fixed.rates, ours.rates, strict=True):
        rows.append((f"  {spec.name} requests", str(f.requests), str(o.requests),
                     ratio(f.requests, o.requests)))
        cap = spec.rate + spec.burst / 10.0  # what GCRA allows over 10 s: rate plus burst
        rows.append((f"  {spec.name} peak req/s over 10s (cap {cap:g})",
                     f"{f.peak_10s:.2f}", f"{o.peak_10s:.2f}",
                     "ok" if f.within_budget and o.within_budget else "EXCEEDED"))
    for f_storm, o_storm in zip(fixed.storms, ours.storms, strict=True):
        rows.append((f"  {f_storm.provider} 429 storm: sent / pace",
                     f"{f_storm.requests}/{f_storm.pace_allows}",
                     f"{o_storm.requests}/{o_storm.pace_allows}",
                     "ok" if f_storm.at_pace and o_storm.at_pace else "OVER"))
    rows.append(("failed polls", str(fixed.failed_polls), str(ours.failed_polls), ""))
    return rows


def adaptive_settings(overrides: list[str]) -> AdaptiveSettings:
    """The defaults, with ``FIELD=VALUE`` pairs validated as the config file would be."""
    values: dict[str, str] = {}
    for item in overrides:
        name, sep, value = item.partition("=")
        if not sep or name not in AdaptiveSettings.model_fields:
            raise SystemExit(f"--set {item!r}: expected FIELD=VALUE with FIELD one of "
                             + ", ".join(sorted(AdaptiveSettings.model_fields)))
        values[name] = value
    return AdaptiveSettings.model_validate(values)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=float, default=1.0)
    parser.add_argument("--locations", type=int, default=300, help="per provider")
    parser.add_argument("--planner-interval", type=float, default=30.0)
    parser.add_argument(
        "--without-views", action="store_true", help="nobody reports page views to the planner"
    )
    parser.add_argument(
        "--set", action="append", default=[], metavar="FIELD=VALUE",
        help="override an [adaptive] setting for the adaptive run, e.g. --set slot_gain=3",
    )
    args = parser.parse_args(argv)

    world_config = WorldConfig(seed=args.seed, days=args.days,
                               locations_per_provider=args.locations)
    started = time.perf_counter()
    world = World(world_config)
    scale = args.locations / 300
    providers = default_providers(scale)
    config = RunConfig(planner_interval=args.planner_interval, report_views=not args.without_views,
                       adaptive=adaptive_settings(args.set))
    interval = equal_budget_interval(world, config.adaptive.budget_share)
    print(f"world: seed {args.seed}, {args.days:g} day(s), {len(world.locations)} locations, "
          f"{sum(len(loc.released) for loc in world.locations)} slots; budgets "
          + ", ".join(f"{p.name} {p.rate:g} req/s" for p in providers)
          + "; fixed interval " + ", ".join(f"{p.name} {interval(p):.0f}s" for p in providers))
    timings = {}
    reports = {}
    for name, policy in (("fixed", fixed_policy(interval)), ("adaptive", None)):
        t0 = time.perf_counter()
        result = Simulation(world, providers, policy, config, seed=args.seed).run()
        reports[name] = measure(world, providers, result)
        timings[name] = time.perf_counter() - t0
    fixed, ours = reports["fixed"], reports["adaptive"]
    rows = [("metric", "fixed (ViteMaDose)", "adaptive", "fixed/adaptive"), *table(
        fixed, ours, providers)]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for i, row in enumerate(rows):
        print("  ".join(cell.ljust(widths[j]) if j == 0 else cell.rjust(widths[j])
                        for j, cell in enumerate(row)))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    print(f"simulated in {timings['fixed']:.1f}s (fixed) + {timings['adaptive']:.1f}s (adaptive), "
          f"{time.perf_counter() - started:.1f}s in all")
    phantom_x = fixed.phantom_views / ours.phantom_views if ours.phantom_views else math.inf
    p95_x = fixed.discovery_p95 / ours.discovery_p95 if ours.discovery_p95 else math.inf
    checks = [
        ("requests: adaptive <= fixed", ours.requests <= fixed.requests,
         f"{ours.requests} vs {fixed.requests}"),
        (">= 4x fewer phantom-slot views", phantom_x >= 4, f"{phantom_x:.2f}x"),
        (">= 4x lower p95 release->shown", p95_x >= 4, f"{p95_x:.2f}x"),
        ("budget never exceeded (1/10/60 s windows)",
         all(r.within_budget for r in (*fixed.rates, *ours.rates)), ""),
        ("429 storm at Retry-After pace", all(s.at_pace for s in (*fixed.storms, *ours.storms)),
         ""),
    ]
    for label, ok, detail in checks:
        print(f"{'MET   ' if ok else 'MISSED'} {label}" + (f": {detail}" if detail else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
