"""Upstream protection, per provider: a GCRA rate budget, a lease semaphore under an AIMD
concurrency limit, a pause from Retry-After, and a circuit breaker.

``models`` holds the rules as pure Python with explicit time (the simulator runs them on a
virtual clock); ``redis_gate`` applies the same rules atomically in Redis so a whole fleet
shares one budget per provider.
"""

from cache.protection.models import AimdLimit, CircuitBreaker, GcraLimiter, pause_for

__all__ = ["AimdLimit", "CircuitBreaker", "GcraLimiter", "pause_for"]
