"""Run Debian's nginx on a free loopback port for tests and benchmarks (never a daemon,
always stopped by the context manager)."""

from __future__ import annotations

import contextlib
import getpass
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from aggregator.nginx_conf import MODULES_DIR, TEMPLATE, NginxParams, brotli_available, render

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def nginx_missing() -> str | None:
    """Why nginx tests cannot run here, or None."""
    if not Path(NGINX).exists():
        return "nginx is not installed (.ci/run installs Debian's nginx)"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def production_config(root: Path, port: int, workdir: Path) -> str:
    params = NginxParams(root=root, listen=f"127.0.0.1:{port}", pid=workdir / "nginx.pid",
                         temp=workdir / "tmp", user=getpass.getuser(),
                         modules=MODULES_DIR if brotli_available() else None)
    return render(TEMPLATE.read_text(), params)


def bare_config(root: Path, port: int, workdir: Path) -> str:
    """The minimal static server: the baseline the production config is measured against."""
    temp = workdir / "tmp"
    return f"""
user {getpass.getuser()};
worker_processes auto;
pid {workdir / "nginx.pid"};
error_log stderr warn;
events {{ worker_connections 4096; }}
http {{
    client_body_temp_path {temp}/body; proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi; uwsgi_temp_path {temp}/uwsgi; scgi_temp_path {temp}/scgi;
    access_log off;
    server {{ listen 127.0.0.1:{port}; root {root}; }}
}}
"""


@contextlib.contextmanager
def running_nginx(config: str, workdir: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "tmp").mkdir(exist_ok=True)
    conf = workdir / "nginx.conf"
    conf.write_text(config)
    log = open(workdir / "error.log", "wb")  # noqa: SIM115 - closed in finally
    proc = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(workdir), "-e", "stderr",
                             "-g", "daemon off;"], stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 10
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"nginx exited: {(workdir / 'error.log').read_text()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            if time.monotonic() > deadline:
                raise RuntimeError("nginx did not start listening within 10 s")
            time.sleep(0.05)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
