"""Where adapters and emulators come from: built-in < entry points < environment."""

from __future__ import annotations

import pytest

from scrapers.doctolib import DoctolibAdapter
from scrapers.plugins import PluginError, parse_env
from scrapers.registry import load_adapter, targets
from scrapers.sandbox.doctolib import make_app
from scrapers.sandbox.server import emulator_targets, load_emulator


def test_env_pairs_parse_and_name_the_bad_one() -> None:
    assert parse_env(" a=pkg.a:A , b_2=pkg.b:make_app,", "V") == {
        "a": "pkg.a:A", "b_2": "pkg.b:make_app"}
    for bad in ("a", "a=pkg", "A=pkg:x", "a=pkg:1x", "a=:x"):
        with pytest.raises(PluginError, match=rf"\$V: {bad!r}"):
            parse_env(bad, "V")


def test_installed_entry_points_find_doctolib() -> None:
    assert targets()["doctolib"].origin == "entry point (slotradar)"
    assert load_adapter("doctolib") is DoctolibAdapter
    assert load_emulator("doctolib") is make_app


def test_environment_adds_and_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLOTRADAR_EXTRA_ADAPTERS", "twin=scrapers.doctolib:DoctolibAdapter")
    monkeypatch.setenv("SLOTRADAR_EXTRA_EMULATORS",
                       "doctolib=scrapers.sandbox.server:build_app")
    assert load_adapter("twin") is DoctolibAdapter
    assert targets()["twin"].origin == "$SLOTRADAR_EXTRA_ADAPTERS"
    assert emulator_targets()["doctolib"] == "scrapers.sandbox.server:build_app"


def test_unknown_and_broken_targets_are_clear(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(KeyError, match=r"no adapter for platform 'nope'.*doctolib"):
        load_adapter("nope")
    monkeypatch.setenv("SLOTRADAR_EXTRA_ADAPTERS",
                       "gone=scrapers.doctolib:Missing,notone=scrapers.base:ProviderSettings")
    with pytest.raises(PluginError, match="has no 'Missing'"):
        load_adapter("gone")
    with pytest.raises(PluginError, match="not an Adapter subclass"):
        load_adapter("notone")
