"""Where things live in a release: one page per place, named from its id."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

_SLUG = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=1 << 17)
def location_slug(location_id: str) -> str:
    """``doctolib:123`` -> ``doctolib-123``; ids that lose characters get a short hash so
    two ids never share a page."""
    slug = _SLUG.sub("-", location_id.lower()).strip("-")[:80]
    if slug != location_id.replace(":", "-", 1):
        slug += "-" + hashlib.blake2b(location_id.encode(), digest_size=4).hexdigest()
    return slug


def location_page(location_id: str) -> str:
    return f"location/{location_slug(location_id)}.html"
