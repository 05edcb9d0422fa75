"""Pure helpers that turn upstream strings into stable normalized values."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^a-z0-9]+")


def slugify(text: str, max_length: int = 60) -> str:
    """ASCII, lowercase, hyphenated: stable ids for appointment types and URLs."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = _NON_WORD.sub("-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "general"


def area_from_postcode(postcode: str) -> str:
    """French département from a postcode: 2 digits, 3 for overseas, 2A/2B for Corsica."""
    code = postcode.strip().replace(" ", "")
    if len(code) != 5 or not code.isdigit():
        return "unknown"
    if code.startswith("97") or code.startswith("98"):
        return code[:3]
    if code.startswith("20"):
        return "2A" if int(code) < 20200 else "2B"
    return code[:2]


def normalize_phone(raw: str) -> str:
    """Keep digits and a leading +; French national numbers become +33."""
    digits = re.sub(r"[^\d+]", "", raw)
    if digits.startswith("0") and len(digits) == 10:
        return "+33" + digits[1:]
    return digits
