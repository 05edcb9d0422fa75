"""Tuning of the adaptive policy, as a config section (``[adaptive]``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from aggregator.adaptive.interest import InterestParams


class AdaptiveSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = Field(default=True, description="false: fixed interval for every location")
    half_life: float = Field(default=1800.0, gt=0, description="s; evidence loses half its weight")
    budget_share: float = Field(
        default=0.85, gt=0, le=1, description="share of the provider rate the plan spends"
    )
    jitter: float = Field(default=0.1, ge=0, lt=1)
    error_backoff: float = Field(default=2.0, ge=1)
    prior_rate: float = Field(default=1 / 3600, gt=0, description="changes/s before evidence")
    rate_floor: float = Field(
        default=1 / 86_400, gt=0, description="changes/s every location is assumed to have"
    )
    planner_interval: float = Field(default=30.0, gt=0, description="s between plans")
    plan_ttl: float = Field(default=600.0, gt=0, description="s after which a plan is ignored")
    fallback_interval: float = Field(default=300.0, gt=0, description="s without a fresh plan")
    near_tau: float = Field(default=86_400.0, gt=0)
    slot_gain: float = Field(default=1.0, ge=0, description="weight per near-term slot shown")
    near_cap: float = Field(default=40.0, ge=0)
    view_floor: float = Field(default=1.0, gt=0)
    default_views: float = Field(default=0.0, ge=0)

    @property
    def interest(self) -> InterestParams:
        return InterestParams(
            near_tau=self.near_tau,
            slot_gain=self.slot_gain,
            near_cap=self.near_cap,
            view_floor=self.view_floor,
            default_views=self.default_views,
        )
