"""Where the next Maiia availabilities page starts: by cursor, offsets only inside an instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scrapers.maiia.paging import JUST_AFTER, Cursor

T0 = datetime(2026, 10, 23, 6, 0, tzinfo=UTC)


def at(*minutes: int) -> list[datetime]:
    return [T0 + timedelta(minutes=m) for m in minutes]


def test_a_short_or_last_page_ends_it() -> None:
    assert Cursor(T0).after([], total=0) is None
    assert Cursor(T0).after(at(5, 10, 15), total=3) is None
    assert Cursor(T0, page=2, size=10).after(at(5, 5), total=22) is None


def test_next_page_restarts_from_the_last_start_seen() -> None:
    nxt = Cursor(T0).after(at(0, 5, 5, 10), total=9)
    assert nxt == Cursor(T0 + timedelta(minutes=10), page=0, size=4)


def test_a_page_all_at_the_cursor_instant_moves_by_offset_then_resumes_after_it() -> None:
    stuck = Cursor(T0 + timedelta(minutes=10), size=4)
    more_seats = stuck.after(at(10, 10, 10, 10), total=9)
    assert more_seats == Cursor(stuck.start, page=1, size=4)
    assert more_seats is not None
    # the offset page ran past the instant: whatever follows it is read again from page 0
    resumed = more_seats.after(at(10, 15, 20, 25), total=9)
    assert resumed == Cursor(stuck.start + JUST_AFTER, page=0, size=4)


def test_pages_out_of_time_order_page_by_offset_for_good() -> None:
    shuffled = Cursor(T0).after(at(30, 5, 10), total=9)
    assert shuffled == Cursor(T0, page=1, size=3, ordered=False)
    assert shuffled is not None
    later = shuffled.after(at(40, 45, 50), total=9)
    assert later == Cursor(T0, page=2, size=3, ordered=False)
