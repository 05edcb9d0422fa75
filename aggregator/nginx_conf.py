"""Render ``deploy/nginx.conf`` (a template) into a ready nginx configuration.

Substitution is plain text on ``@@NAME@@`` tokens (nginx's own ``$variables`` stay as
they are); lines marked ``# brotli`` are kept only when the brotli_static module exists.

    python -m aggregator.nginx_conf --root /srv/slotradar/var/site/current --listen 80
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent.parent / "deploy" / "nginx.conf"
MODULES_DIR = Path("/usr/lib/nginx/modules")
BROTLI_MODULE = "ngx_http_brotli_static_module.so"
_TOKEN = re.compile(r"@@([A-Z]+)@@")


@dataclass(frozen=True)
class NginxParams:
    root: Path
    listen: str
    pid: Path = Path("/run/nginx.pid")
    temp: Path = Path("/var/lib/nginx")
    user: str = "www-data"
    modules: Path | None = MODULES_DIR  # None: leave brotli out

    def tokens(self) -> dict[str, str]:
        return {
            "ROOT": str(self.root),
            "LISTEN": self.listen,
            "PID": str(self.pid),
            "TEMP": str(self.temp),
            "USER": self.user,
            "MODULES": str(self.modules or ""),
        }


def brotli_available(modules: Path = MODULES_DIR) -> bool:
    return (modules / BROTLI_MODULE).is_file()


def render(template: str, params: NginxParams) -> str:
    """Fill every token (an unknown one is an error: a half-filled config must not ship)."""
    tokens = params.tokens()
    lines = [
        line for line in template.splitlines()
        if params.modules is not None or not line.rstrip().endswith("# brotli")
    ]

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in tokens:
            raise ValueError(f"unknown token @@{name}@@ in nginx template")
        return tokens[name]

    return "\n".join(_TOKEN.sub(fill, line) for line in lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True, help="<output_dir>/current")
    parser.add_argument("--listen", default="80")
    parser.add_argument("--pid", type=Path, default=Path("/run/nginx.pid"))
    parser.add_argument("--temp", type=Path, default=Path("/var/lib/nginx"))
    parser.add_argument("--user", default="www-data")
    parser.add_argument("--template", type=Path, default=TEMPLATE)
    args = parser.parse_args(argv)
    params = NginxParams(args.root, args.listen, args.pid, args.temp, args.user,
                         MODULES_DIR if brotli_available() else None)
    sys.stdout.write(render(args.template.read_text(), params))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
