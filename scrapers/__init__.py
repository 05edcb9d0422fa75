"""Adapters for booking platforms: fetch through the polite client, parse with pure functions."""
