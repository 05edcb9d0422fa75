"""The command line as an operator uses it: real processes, real Redis, loopback HTTP."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from cache.cleanup import delete_prefix_sync
from cache.keys import Keys

ROOT = Path(__file__).resolve().parents[2]


def slotradar(args: list[str], cwd: Path, env: dict[str, str] | None = None,
              timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scheduler", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


def config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "slotradar.toml"
    path.write_text(body)
    return path


def test_refresh_once_exit_0_and_publishes(tmp_path: Path, redis_url: str, keys: Keys) -> None:
    cfg = config(tmp_path, f"""
[redis]
url = "{redis_url}"
prefix = "{keys.prefix}"
[sandbox]
locations_per_platform = 8
platforms = ["doctolib"]
rate = 200
[site]
output_dir = "{tmp_path / 'site'}"
""")
    done = slotradar(["-c", str(cfg), "refresh", "--once"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "doctolib: 8 polled, 8 ok, 0 failed" in done.stdout
    assert (tmp_path / "site" / "current" / "index.html").is_file()
    _cleanup(redis_url, keys)


def test_refresh_once_exit_2_when_every_provider_fails(tmp_path: Path, redis_url: str,
                                                      keys: Keys) -> None:
    cfg = config(tmp_path, f"""
[redis]
url = "{redis_url}"
prefix = "{keys.prefix}"
[site]
output_dir = "{tmp_path / 'site'}"
[[providers]]
platform = "doctolib"
base_url = "http://127.0.0.1:9"
retries = 0
timeout = 2
""")
    done = slotradar(["-c", str(cfg), "refresh", "--once"], tmp_path)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "connection failed" in done.stdout
    _cleanup(redis_url, keys)


def test_bad_config_exits_3_naming_line_and_field(tmp_path: Path) -> None:
    cfg = config(tmp_path, "[site]\nport = 'eighty'\n")
    done = slotradar(["-c", str(cfg), "publish"], tmp_path)
    assert done.returncode == 3
    assert f"{cfg}:2: site.port:" in done.stderr


@pytest.mark.slow
def test_run_serves_sandbox_slots_and_stops_cleanly(tmp_path: Path) -> None:
    """`slotradar run` on embedded defaults: site up with sandbox slots, Ctrl-C stops all."""
    cfg = config(tmp_path, f"""
[site]
output_dir = "{tmp_path / 'site'}"
port = 0
publish_interval = 0.5
[sandbox]
locations_per_platform = 15
rate = 500
[worker]
tick = 0.2
""")
    proc = subprocess.Popen([sys.executable, "-m", "scheduler", "-c", str(cfg), "run"],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert proc.stdout is not None
        url = None
        deadline = time.monotonic() + 30
        lines = []
        while url is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            match = re.search(r"slotradar is up: (http://\S+)", line)
            url = match.group(1) if match else None
        assert url, "".join(lines)
        found = False
        while not found and time.monotonic() < deadline:
            home = httpx.get(url, timeout=5)
            assert home.status_code == 200
            found = any(int(n) > 0 for n in re.findall(r"<td>(\d+) / \d+</td>", home.text))
            time.sleep(0.3)
        assert found, "no place with slots within 30 s"
        area = re.search(r'href="(area/[^"]+)"', home.text)
        assert area
        assert httpx.get(url + area.group(1), timeout=5).status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert "slotradar stopped" in out


def _cleanup(redis_url: str, keys: Keys) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    delete_prefix_sync(client, keys.prefix)
