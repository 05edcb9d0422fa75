"""API keys: from the environment or a private file only, never in logs, Redis or the site."""

from __future__ import annotations

import asyncio
import os
import random
import sys
from pathlib import Path

import aiohttp
import pytest
import redis.asyncio as aredis

from aggregator.config import ConfigError, load_settings
from cache.keys import Keys
from scrapers.errors import FetchError
from scrapers.sandbox.faults import make_plan
from scrapers.sandbox.server import SandboxServer
from tests.faults.helpers import PLATFORM, child_env

CANARY = "sk_live_CANARY_7f3a9c2e5b1d"


def provider_config(tmp_path: Path, base_url: str, key_file: Path, redis_url: str = "",
                    prefix: str = "sr:") -> Path:
    cfg = tmp_path / "slotradar.toml"
    cfg.write_text(f"""[redis]
url = "{redis_url}"
prefix = "{prefix}"
[site]
output_dir = "{tmp_path / 'site'}"

[[providers]]
platform = "doctolib"
base_url = "{base_url}"
retries = 0
timeout = 2
rate = 500
burst = 500
api_key_file = "{key_file}"
""")
    return cfg


def _listing_passes(rng: random.Random) -> bool:
    """Two requests (listing pages 1 and 2), each rolling 5xx (0.3) then malformed (0.2)."""
    return all(rng.random() >= p for p in (0.3, 0.2, 0.3, 0.2))


def key_file(tmp_path: Path, mode: int) -> Path:
    path = tmp_path / "doctolib.key"
    path.write_text(CANARY + "\n")
    path.chmod(mode)
    return path


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_key_file_readable_by_others_is_a_config_error(tmp_path: Path, mode: int) -> None:
    # Guards: the permission check on api_key_file, reported like any config error
    # (file:line: field) so the operator knows which line to fix.
    cfg = provider_config(tmp_path, "https://upstream.example", key_file(tmp_path, mode))
    with pytest.raises(ConfigError) as caught:
        load_settings(cfg, environ={})
    message = str(caught.value)
    assert f"{cfg}:14: providers[0].api_key_file:" in message  # line 14
    assert "chmod 600" in message and CANARY not in message


def test_private_key_file_is_accepted(tmp_path: Path) -> None:
    cfg = provider_config(tmp_path, "https://upstream.example", key_file(tmp_path, 0o600))
    settings = load_settings(cfg, environ={})
    assert settings.providers[0].api_key_file.endswith("doctolib.key")


async def test_canary_key_is_sent_but_never_logged_stored_or_published(
        tmp_path: Path, sandbox: SandboxServer, redis: aredis.Redis, redis_url: str,
        keys: Keys) -> None:
    # Guards: the key reaches upstream only as a header; error messages (5xx, malformed,
    # resets) and debug logs never carry it; neither do Redis or the published files.
    # seeded so that the two listing pages get through and later requests fail
    seed = next(s for s in range(10_000) if _listing_passes(random.Random(s)))
    sandbox.faults.plans[PLATFORM] = make_plan({"server_error": 0.3, "malformed": 0.2,
                                                "seed": seed})
    cfg = provider_config(tmp_path, sandbox.base_url(PLATFORM), key_file(tmp_path, 0o600),
                          redis_url, keys.prefix)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "scheduler", "-v", "--log-format", "json", "-c", str(cfg),
        "refresh", "--once", cwd=tmp_path, env=child_env(),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    logs = out.decode() + err.decode()
    assert proc.returncode in (0, 1), logs
    assert sandbox.faults.authorization[PLATFORM] == f"Bearer {CANARY}"
    assert "HTTP 500" in logs or "invalid JSON" in logs  # errors did get reported
    assert CANARY not in logs
    for path in (tmp_path / "site").rglob("*"):
        if path.is_file():
            assert CANARY.encode() not in path.read_bytes(), path
    async for key in redis.scan_iter(match=f"{keys.prefix}*"):
        kind = await redis.type(key)
        if kind == "hash":
            assert CANARY not in str(await redis.hgetall(key)), key
        elif kind == "string":
            assert CANARY not in str(await redis.get(key)), key


async def test_key_in_an_error_message_is_redacted(sandbox: SandboxServer) -> None:
    # Guards: redaction of secret header values in FetchError messages (here an upstream
    # link that embeds the key ends up in a path; without redaction it reaches the page).
    from scrapers.client import ClientPolicy, PoliteClient

    async with aiohttp.ClientSession() as session:
        client = PoliteClient(session, PLATFORM, sandbox.base_url(PLATFORM),
                              headers={"Authorization": f"Bearer {CANARY}"},
                              policy=ClientPolicy(retries=0, timeout=2))
        with pytest.raises(FetchError) as caught:
            await client.get_json(f"booking/{CANARY}.json")
    assert "HTTP 404" in str(caught.value)
    assert CANARY not in str(caught.value) and "[redacted]" in str(caught.value)


def test_environment_key_is_read_from_the_named_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    from aggregator.runtime import provider_headers
    from scrapers.base import ProviderSettings

    monkeypatch.setitem(os.environ, "SR_TEST_KEY", CANARY)
    provider = ProviderSettings(platform=PLATFORM, base_url="https://x.example",
                                api_key_env="SR_TEST_KEY")
    assert provider_headers(provider) == {"Authorization": f"Bearer {CANARY}"}
