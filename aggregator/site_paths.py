"""Where things live in a release: one page per place, named from its id.

Place pages are spread over 256 shard directories (``location/<2 hex>/``) by a stable
hash of the id, so a change to one place gives a new version of one small directory, and
the publisher reuses the other 255 as they are (``release_tree``)."""

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


def location_shard(location_id: str) -> str:
    return hashlib.blake2b(location_id.encode(), digest_size=1).hexdigest()


@lru_cache(maxsize=1 << 17)
def location_page(location_id: str) -> str:
    return f"location/{location_shard(location_id)}/{location_slug(location_id)}.html"
