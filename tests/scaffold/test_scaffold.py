"""``slotradar adapter new``: a newcomer's path, from scaffold to a passing contract kit.

The scaffold is written into a copy of the project in a temporary directory; the copy runs
through ``PYTHONPATH`` and the ``$SLOTRADAR_EXTRA_*`` variables, with no reinstall.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scrapers.scaffold import ScaffoldError, create

ROOT = Path(__file__).resolve().parents[2]
FILLED_PARSE = Path(__file__).with_name("pharmaplus_parse.py.txt")
KIT_FILES = ("tests/__init__.py", "tests/conftest.py", "tests/contract/__init__.py",
             "tests/contract/kit.py", "scheduler.py", "pyproject.toml")


def project_copy(dest: Path) -> Path:
    """The packages, the kit and the config: what a fresh checkout needs to run the kit."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in ("scrapers", "aggregator", "cache"):
        shutil.copytree(ROOT / package, dest / package, ignore=ignore)
    for name in KIT_FILES:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, dest / name)
    return dest


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None,
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=180, env={**os.environ, "PYTHONPATH": str(cwd), **(env or {})})


def test_scaffolded_adapter_passes_the_kit_once_parse_is_written(tmp_path: Path) -> None:
    root = project_copy(tmp_path / "project")
    made = run(["-m", "scheduler", "adapter", "new", "pharmaplus"], root)
    assert made.returncode == 0, made.stderr
    assert 'pharmaplus = "scrapers.pharmaplus:PharmaplusAdapter"' in made.stdout
    assert 'pharmaplus = "scrapers.sandbox.pharmaplus:make_app"' in made.stdout
    env_line = next(line for line in made.stdout.splitlines() if "SLOTRADAR_EXTRA" in line)
    env = dict(pair.split("=", 1) for pair in env_line.strip().rstrip("\\").split())
    generated = ["scrapers/pharmaplus", "scrapers/sandbox/pharmaplus.py",
                 "tests/contract/test_pharmaplus_contract.py"]
    lint = run(["-m", "ruff", "check", "--config", str(ROOT / "pyproject.toml"), *generated],
               root)
    assert lint.returncode == 0, lint.stdout

    contract = ["-m", "pytest", "-q", "-p", "no:cacheprovider",
                "tests/contract/test_pharmaplus_contract.py"]
    todo = run(contract, root, env)
    assert todo.returncode == 1 and "TODO(pharmaplus)" in todo.stdout, todo.stdout[-2000:]

    (root / "scrapers/pharmaplus/parse.py").write_text(FILLED_PARSE.read_text())
    done = run(contract, root, env)
    assert done.returncode == 0, done.stdout[-3000:]
    assert " passed" in done.stdout and "failed" not in done.stdout

    unregistered = run(contract, root)
    assert unregistered.returncode == 1
    assert "no emulator for platform 'pharmaplus'" in unregistered.stdout


def test_scaffold_refuses_existing_reserved_and_invalid_names(tmp_path: Path) -> None:
    root = project_copy(tmp_path / "project")
    for name, reason in [("doctolib", "already exists"), ("Bad-Name", "invalid platform name"),
                         ("x", "invalid platform name"), ("class", "reserved"),
                         ("sandbox", "reserved"), ("9lives", "invalid platform name")]:
        with pytest.raises(ScaffoldError, match=reason):
            create(name, root)
    assert not (root / "scrapers" / "class").exists()
    refused = run(["-m", "scheduler", "adapter", "new", "doctolib"], root)
    assert refused.returncode == 3 and "already exists" in refused.stderr
    assert run(["-m", "scheduler", "adapter", "new", "ok_name", "--root", str(tmp_path)],
               root).returncode == 3  # not a checkout: nothing written
    assert not (tmp_path / "scrapers").exists()


def test_scaffold_refuses_a_name_registered_by_a_plugin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project_copy(tmp_path / "project")
    monkeypatch.setenv("SLOTRADAR_EXTRA_ADAPTERS", "acme=acme_plugin:AcmeAdapter")
    with pytest.raises(ScaffoldError, match="already registered"):
        create("acme", root)
