"""Config errors name the file, the line and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from aggregator.config import ConfigError, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "slotradar.toml"
    path.write_text(text)
    return path


def test_defaults_use_sandbox(tmp_path: Path) -> None:
    settings = load_settings(None, {})
    assert settings.uses_sandbox
    assert settings.site.port == 8000


def test_bad_field_names_line_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, """
[site]
port = 8080

[[providers]]
platform = "doctolib"
base_url = "https://example.org"

[[providers]]
platform = "keldoc"
base_url = "https://example.org"
rate = -3
""")
    with pytest.raises(ConfigError) as err:
        load_settings(path, {})
    assert f"{path}:12: providers[1].rate:" in str(err.value)
    assert "greater than 0" in str(err.value)


def test_unknown_key_is_refused_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "[site]\nport = 8080\nprot = 9\n")
    with pytest.raises(ConfigError) as err:
        load_settings(path, {})
    assert f"{path}:3: site.prot: Extra inputs are not permitted" in str(err.value)


def test_invalid_toml_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "[site\nport = 1\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_settings(path, {})


def test_environment_overrides_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[site]\nport = 8080\n")
    settings = load_settings(path, {"SLOTRADAR_SITE__PORT": "9090",
                                    "REDIS_URL": "redis://127.0.0.1:6379/3"})
    assert settings.site.port == 9090
    assert settings.redis.url == "redis://127.0.0.1:6379/3"


def test_bad_environment_value_names_the_variable_field(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"environment: site.port"):
        load_settings(None, {"SLOTRADAR_SITE__PORT": "eighty"})


def test_real_provider_disables_sandbox(tmp_path: Path) -> None:
    path = write(tmp_path, '[[providers]]\nplatform = "doctolib"\nbase_url = "https://x.org"\n')
    assert not load_settings(path, {}).uses_sandbox
