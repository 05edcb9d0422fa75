"""API keys of upstream platforms: read from the environment or a private file, and
kept out of every message that could reach a log, a status page or the site."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

REDACTED = "[redacted]"
SECRET_HEADERS = ("authorization", "proxy-authorization", "x-api-key")


class SecretFileError(ValueError):
    """The key file is missing, unreadable or readable by group/others."""


def check_key_file(path: str) -> str:
    """Refuse a key file that group or others can read: a leaked key is a leaked account."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise SecretFileError(f"cannot read key file {path}: {exc.strerror}") from exc
    if not stat.S_ISREG(mode):
        raise SecretFileError(f"key file {path} is not a regular file")
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SecretFileError(
            f"key file {path} has mode {stat.S_IMODE(mode):04o}: group/others may read it; "
            f"run chmod 600 {path}"
        )
    return path


def read_api_key(env_name: str = "", file_path: str = "") -> str:
    """The key from ``file_path`` (first line, checked again now) or from ``$env_name``."""
    if file_path:
        check_key_file(file_path)
        return Path(file_path).read_text(encoding="utf-8").strip().splitlines()[0].strip()
    if env_name:
        return os.environ.get(env_name, "").strip()
    return ""


def secret_values(headers: dict[str, str]) -> list[str]:
    """The header values that must never be shown (the full value and the bare token)."""
    out: list[str] = []
    for name, value in headers.items():
        if name.lower() in SECRET_HEADERS and value:
            out.append(value)
            token = value.split(" ", 1)[-1]
            if len(token) >= 4:
                out.append(token)
    return sorted(set(out), key=len, reverse=True)


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text
