"""The event loop: due queue, worker ticks, gate, upstream, policy and planner, virtually.

It mirrors the daemon: every ``tick`` a provider's worker claims up to ``claim_batch`` due
locations (not while the provider is paused) and claims again once that batch is done; each
poll spends ``cost`` sequential requests through the provider's guard; the policy (the
production class) sets the next due time; with the adaptive policy, every poll is folded into
the stats with the production ``record_poll`` and the planner tick runs ``plan_provider``.
"""

from __future__ import annotations

import heapq
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum

from aggregator.adaptive.interest import area_field, near_term_score, views_for
from aggregator.adaptive.planning import plan_provider, pull_forward_due
from aggregator.adaptive.policy import AdaptivePolicy
from aggregator.adaptive.settings import AdaptiveSettings
from aggregator.adaptive.signal import LocationSignal, LocationStats, ProviderPlan, record_poll
from aggregator.adaptive.waterfill import Bounds
from aggregator.policy import FixedIntervalPolicy, PollObservation, RefreshPolicy
from aggregator.simulation.clock import SimClock
from aggregator.simulation.guard import ProviderGuard
from aggregator.simulation.upstream import Reply, UpstreamModel
from aggregator.simulation.world import SimLocation, World
from cache.store import WriteOutcome


@dataclass(frozen=True)
class ProviderSpec:
    name: str
    rate: float  # the request budget, requests/s
    burst: int = 5
    concurrency: int = 8
    min_interval: float = 30.0
    max_interval: float = 1800.0
    upstream: UpstreamModel = field(default_factory=UpstreamModel)


@dataclass(frozen=True)
class RunConfig:
    tick: float = 1.0
    claim_batch: int = 50
    planner_interval: float = 30.0
    views_window: float = 300.0  # s of logs behind each views report
    report_views: bool = True  # False: nobody fills the views hash
    initial_spread: float = 300.0  # first polls spread over this many s
    adaptive: AdaptiveSettings = field(default_factory=AdaptiveSettings)


@dataclass
class RunResult:
    """Successful poll times per location (when its shown slots were true) and every
    request per provider: start, reply, seconds until the reply."""

    polls: list[list[float]]
    requests: dict[str, list[tuple[float, Reply, float]]]
    failed_polls: dict[str, int]


class _Ev(IntEnum):
    TICK = 0
    PUMP = 1
    DONE = 2
    PLAN = 3


@dataclass
class _Poll:
    loc: SimLocation
    remaining: int
    valid_at: float = 0.0


@dataclass(frozen=True)
class _Done:
    poll: _Poll
    reply: Reply
    retry_after: float


_Payload = str | _Done | None


@dataclass
class _Provider:
    spec: ProviderSpec
    guard: ProviderGuard
    policy: RefreshPolicy
    due: list[tuple[float, int]] = field(default_factory=list)
    pending: deque[_Poll] = field(default_factory=deque)
    active: int = 0  # polls of the current batch not finished
    pump_at: float = float("inf")
    plan: ProviderPlan | None = None


PolicyFactory = Callable[[ProviderSpec, SimClock, random.Random], RefreshPolicy]


def fixed_policy(interval_for: Callable[[ProviderSpec], float]) -> PolicyFactory:
    """The ViteMaDose baseline: one interval per provider for every location."""

    def make(spec: ProviderSpec, clock: SimClock, rng: random.Random) -> RefreshPolicy:
        return FixedIntervalPolicy(interval=interval_for(spec), rng=rng)

    return make


class Simulation:
    def __init__(
        self,
        world: World,
        providers: tuple[ProviderSpec, ...],
        policy: PolicyFactory | None = None,
        config: RunConfig | None = None,
        seed: int = 0,
    ) -> None:
        """``policy`` None: the production ``AdaptivePolicy`` with recorder and planner."""
        self.world = world
        self.config = config or RunConfig()
        self.clock = SimClock()
        self.rng = random.Random(seed)
        self.adaptive = policy is None
        settings = self.config.adaptive
        self.providers: dict[str, _Provider] = {}
        for spec in providers:
            rng = random.Random(self.rng.random())
            made: RefreshPolicy = (
                AdaptivePolicy(
                    self.clock, settings, rng, Bounds(spec.min_interval, spec.max_interval)
                )
                if policy is None
                else policy(spec, self.clock, rng)
            )
            self.providers[spec.name] = _Provider(
                spec,
                ProviderGuard(spec.rate, spec.burst, spec.concurrency,
                              random.Random(self.rng.random())),
                made,
            )
        self.locations = [loc for loc in world.locations if loc.provider in self.providers]
        n = len(world.locations)
        self.due_at = [float("inf")] * n
        self.claimed = [False] * n
        self.cursor = [0] * n  # next event per location not yet applied to `free`
        self.free: list[set[int]] = [set() for _ in range(n)]
        self.shown: list[frozenset[int]] = [frozenset() for _ in range(n)]
        self.stats: list[LocationStats] = [LocationStats() for _ in range(n)]
        self.views: dict[str, float] = {}
        self.result = RunResult(
            polls=[[] for _ in range(n)],
            requests={p: [] for p in self.providers},
            failed_polls=dict.fromkeys(self.providers, 0),
        )
        self._events: list[tuple[float, int, _Ev, _Payload]] = []
        self._seq = 0

    # -- event plumbing ------------------------------------------------------------------
    def _at(self, t: float, kind: _Ev, payload: _Payload) -> None:
        self._seq += 1
        heapq.heappush(self._events, (t, self._seq, kind, payload))

    def _schedule_due(self, prov: _Provider, loc: SimLocation, t: float) -> None:
        self.due_at[loc.index] = t
        heapq.heappush(prov.due, (t, loc.index))

    def run(self) -> RunResult:
        end = self.world.config.duration
        for loc in self.locations:
            prov = self.providers[loc.provider]
            self._schedule_due(prov, loc, self.rng.uniform(0.0, self.config.initial_spread))
        for name in self.providers:
            self._at(0.0, _Ev.TICK, name)
        if self.adaptive:
            self._at(0.0, _Ev.PLAN, None)
        while self._events:
            t, _, kind, payload = heapq.heappop(self._events)
            if t > end:
                break
            self.clock.t = t
            if kind is _Ev.TICK:
                self._tick(self.providers[str(payload)])
            elif kind is _Ev.PUMP:
                prov = self.providers[str(payload)]
                prov.pump_at = float("inf")
                self._pump(prov)
            elif isinstance(payload, _Done):
                self._done(payload)
            else:
                self._plan()
        return self.result

    # -- worker --------------------------------------------------------------------------
    def _tick(self, prov: _Provider) -> None:
        now = self.clock.t
        self._at(now + self.config.tick, _Ev.TICK, prov.spec.name)
        if prov.active or prov.guard.paused(now):
            return
        claimed = 0
        while prov.due and claimed < self.config.claim_batch and prov.due[0][0] <= now:
            due, index = heapq.heappop(prov.due)
            if due != self.due_at[index] or self.claimed[index]:
                continue  # superseded by a pull-forward
            self.claimed[index] = True
            loc = self.world.locations[index]
            prov.pending.append(_Poll(loc, loc.cost))
            claimed += 1
        prov.active = claimed
        if claimed:
            self._pump(prov)

    def _pump(self, prov: _Provider) -> None:
        now = self.clock.t
        upstream = prov.spec.upstream
        while prov.pending:
            start = prov.guard.next_start(now)
            if start is None:
                return  # a completion pumps again
            if start > now:
                if start < prov.pump_at:
                    prov.pump_at = start
                    self._at(start, _Ev.PUMP, prov.spec.name)
                return
            poll = prov.pending.popleft()
            poll.valid_at = now
            answer = upstream.answer(now, self.rng)
            self.result.requests[prov.spec.name].append((now, answer.reply, answer.duration))
            done = _Done(poll, answer.reply, answer.retry_after)
            self._at(now + answer.duration, _Ev.DONE, done)

    def _done(self, done: _Done) -> None:
        poll = done.poll
        prov = self.providers[poll.loc.provider]
        prov.guard.finish(self.clock.t, poll.valid_at, done.reply, done.retry_after)
        if done.reply is not Reply.OK:
            self._finish_poll(prov, poll, ok=False)
        else:
            poll.remaining -= 1
            if poll.remaining > 0:
                prov.pending.appendleft(poll)
            else:
                self._finish_poll(prov, poll, ok=True)
        self._pump(prov)

    def _free_at(self, loc: SimLocation, t: float) -> set[int]:
        free, events, i = self.free[loc.index], loc.events, self.cursor[loc.index]
        while i < len(events) and events[i][0] <= t:
            _, delta, slot = events[i]
            if delta > 0:
                free.add(slot)
            else:
                free.discard(slot)
            i += 1
        self.cursor[loc.index] = i
        return free

    def _finish_poll(self, prov: _Provider, poll: _Poll, ok: bool) -> None:
        loc, now = poll.loc, self.clock.t
        prov.active -= 1
        self.claimed[loc.index] = False
        outcome = WriteOutcome.FAILED
        if ok:
            free = self._free_at(loc, poll.valid_at)
            changed = free != self.shown[loc.index]
            if changed:
                self.shown[loc.index] = frozenset(free)
            self.result.polls[loc.index].append(poll.valid_at)
            outcome = WriteOutcome.CHANGED if changed else WriteOutcome.UNCHANGED
            if self.adaptive:
                starts = (loc.start[s] for s in free)
                near = near_term_score(starts, poll.valid_at, self.config.adaptive.near_tau)
                self.stats[loc.index] = record_poll(
                    self.stats[loc.index],
                    changed,
                    loc.cost,
                    near,
                    self.clock.timestamp(poll.valid_at),
                    self.config.adaptive.half_life,
                )
        else:
            self.result.failed_polls[prov.spec.name] += 1
        signal = None
        if self.adaptive:
            views = views_for(loc.id, self.world.area_name(loc.area), self.views)
            signal = LocationSignal(self.stats[loc.index], views)
        observation = PollObservation(
            loc.id, loc.provider, outcome, None, self.clock.now(), signal, prov.plan
        )
        self._schedule_due(prov, loc, now + prov.policy.next_interval(observation))

    # -- planner (adaptive only) -----------------------------------------------------------
    def _plan(self) -> None:
        now, cfg = self.clock.t, self.config
        self._at(now + cfg.planner_interval, _Ev.PLAN, None)
        if cfg.report_views:
            self.views = {
                area_field(self.world.area_name(a)): self.world.views_per_hour(
                    a, max(0.0, now - cfg.views_window), now
                )
                for a in range(self.world.config.areas)
            }
        for name, prov in self.providers.items():
            locs = [loc for loc in self.locations if loc.provider == name]
            stats = {loc.id: self.stats[loc.index] for loc in locs}
            signals = {
                loc.id: LocationSignal(
                    stats[loc.id],
                    views_for(loc.id, self.world.area_name(loc.area), self.views),
                )
                for loc in locs
            }
            spec = prov.spec
            prov.plan, targets = plan_provider(
                name,
                signals,
                spec.rate,
                Bounds(spec.min_interval, spec.max_interval),
                cfg.adaptive,
                self.clock.timestamp(),
                prov.plan,
            )
            due = pull_forward_due(stats, targets, cfg.adaptive.jitter)
            epoch = self.clock.timestamp(0.0)
            for loc in locs:
                wanted = due.get(loc.id)
                if wanted is None or self.claimed[loc.index]:
                    continue
                wanted -= epoch
                if wanted < self.due_at[loc.index]:
                    self._schedule_due(prov, loc, max(wanted, now))
