"""Normalized models, merging, summaries and publishing of the static site."""
