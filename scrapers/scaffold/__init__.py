"""``slotradar adapter new NAME``: the files a new platform needs, ready for the kit.

Writes the adapter (fetch), its parse module (TODOs raising NotImplementedError), a working
emulator in a simple JSON format, sample fixtures and the contract test, then says how to
register the adapter and emulator (entry points, or env vars without reinstalling).
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from pathlib import Path
from string import Template

from scrapers.registry import ENV_VAR as ADAPTERS_ENV
from scrapers.registry import available as available_adapters
from scrapers.sandbox.server import ENV_VAR as EMULATORS_ENV
from scrapers.scaffold import templates

NAME = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
# modules of scrapers/ that are not platforms
RESERVED = frozenset({"base", "client", "errors", "gate", "plugins", "registry", "retry_after",
                      "sandbox", "scaffold", "templates", "world", "faults", "server"})


class ScaffoldError(Exception):
    """Why a name cannot be scaffolded, said so a newcomer knows what to do."""


@dataclass(frozen=True)
class Scaffold:
    name: str
    written: tuple[Path, ...]

    @property
    def cls(self) -> str:
        return class_name(self.name)

    def entry_points(self) -> str:
        return (
            '[project.entry-points."slotradar.adapters"]\n'
            f'{self.name} = "scrapers.{self.name}:{self.cls}Adapter"\n\n'
            '[project.entry-points."slotradar.emulators"]\n'
            f'{self.name} = "scrapers.sandbox.{self.name}:make_app"\n'
        )

    def env(self) -> str:
        return (
            f"{ADAPTERS_ENV}={self.name}=scrapers.{self.name}:{self.cls}Adapter "
            f"{EMULATORS_ENV}={self.name}=scrapers.sandbox.{self.name}:make_app"
        )


def class_name(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_") if part)


def check_name(name: str, root: Path) -> None:
    if not NAME.match(name):
        raise ScaffoldError(
            f"invalid platform name {name!r}: use 2-40 characters, lowercase letters, digits "
            "and _, starting with a letter (it becomes a Python package and a location id prefix)"
        )
    if keyword.iskeyword(name) or name in RESERVED:
        raise ScaffoldError(f"{name!r} is reserved: pick another platform name")
    taken = [p for p in _targets(root, name) if p.exists()]
    if taken:
        raise ScaffoldError(
            f"platform {name!r} already exists ({', '.join(map(str, taken))}); "
            "edit those files or pick another name"
        )
    if name in available_adapters():
        raise ScaffoldError(f"an adapter named {name!r} is already registered")


def _targets(root: Path, name: str) -> list[Path]:
    return [
        root / "scrapers" / name,
        root / "scrapers" / "sandbox" / f"{name}.py",
        root / "tests" / "fixtures" / name,
        root / "tests" / "contract" / f"test_{name}_contract.py",
    ]


def create(name: str, root: Path) -> Scaffold:
    """Write every file for ``name`` under ``root`` (a checkout); refuses to overwrite."""
    if not (root / "scrapers" / "sandbox").is_dir() or not (root / "tests" / "contract").is_dir():
        raise ScaffoldError(f"{root} is not a slotradar checkout (no scrapers/sandbox or "
                            "tests/contract): run this from the project root or pass --root")
    check_name(name, root)
    values = {"name": name, "cls": class_name(name), "display": name.replace("_", " ").title()}
    package, emulator, fixtures, contract = _targets(root, name)
    files = {
        package / "__init__.py": templates.ADAPTER,
        package / "parse.py": templates.PARSE,
        emulator: templates.EMULATOR,
        contract: templates.CONTRACT_TEST,
        **{fixtures / file: text for file, text in templates.FIXTURES.items()},
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Template(text).substitute(values), encoding="utf-8")
    return Scaffold(name, tuple(files))


def instructions(scaffold: Scaffold, root: Path) -> str:
    """What to do next, with the exact lines to paste."""
    written = "\n".join(f"  {p.relative_to(root)}" for p in scaffold.written)
    name, cls = scaffold.name, scaffold.cls
    return f"""created platform {name!r}:
{written}

Register it: add to pyproject.toml (then `make test` reinstalls):

{scaffold.entry_points()}
and append to scrapers/registry.py BUILTIN and scrapers/sandbox/server.py EMULATORS:
    "{name}": "scrapers.{name}:{cls}Adapter",
    "{name}": "scrapers.sandbox.{name}:make_app",

Or run it at once without reinstalling:
    {scaffold.env()} \\
        .venv/bin/python -m pytest tests/contract/test_{name}_contract.py

Next: fill in the TODOs of scrapers/{name}/parse.py (the contract test fails until then),
replace the emulator's skeleton format with the platform's real one, and record fixtures.
See docs/adding-a-provider.md.
"""
