"""The deploy/ examples stay in step with the code: the config example validates, and
every slotradar command line in the cron and systemd files parses."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from aggregator.config import load_settings
from scheduler import build_parser
from tests.faults.helpers import ROOT

DEPLOY = ROOT / "deploy"


def test_config_example_validates(tmp_path: Path) -> None:
    key = tmp_path / "doctolib.key"
    key.write_text("k\n")
    key.chmod(0o600)
    text = (DEPLOY / "slotradar.toml.example").read_text()
    text = text.replace("/etc/slotradar/keys/doctolib.key", str(key))
    cfg = tmp_path / "slotradar.toml"
    cfg.write_text(text)
    settings = load_settings(cfg, environ={})
    assert settings.metrics.enabled and settings.providers[0].api_key_file == str(key)


def command_lines() -> list[str]:
    lines = []
    for path in [*sorted((DEPLOY / "systemd").glob("*.service")), DEPLOY / "cron" /
                 "slotradar-refresh"]:
        for line in path.read_text().splitlines():
            found = re.search(r"/\.venv/bin/slotradar (.*?)(?: >>| \|\||$)", line)
            if found:
                lines.append(found.group(1))
    return lines


@pytest.mark.parametrize("args", command_lines())
def test_deploy_command_lines_parse(args: str) -> None:
    parsed = build_parser().parse_args(shlex.split(args))
    assert parsed.command in {"run", "worker", "refresh", "health"}
