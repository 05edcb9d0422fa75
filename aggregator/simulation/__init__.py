"""A discrete-event simulator of a rush, on a virtual clock.

It runs the production refresh policies (``aggregator.policy`` / ``aggregator.adaptive``) and
the protection models against a seeded world whose ground truth is known, so freshness can
be measured exactly: days of virtual time in seconds, the same result for the same seed.
"""
