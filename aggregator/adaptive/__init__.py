"""Adaptive refresh: spend a provider's fixed request budget where freshness pays most.

Pure pieces (estimator, interest, water-filling, planning, policy) take numbers and an
injected clock, so the discrete-event simulator runs the very same code as production;
``service`` is the only module here that talks to Redis.
"""
