"""The iCalendar reader and free-slot rules on this project's own feeds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from scrapers.errors import ParseError
from scrapers.ical.ics import Zones, parse_duration, parse_ics, parse_line, unescape, unfold
from scrapers.ical.parse import FeedRules, locations_from_options, parse_feed, rules_for

FIXTURES = Path(__file__).parents[1] / "fixtures" / "ical"
RULES = FeedRules(slot_minutes=20, appointment_type="Consultation",
                  booking_url="https://agenda.example.fr/ker-avel")


def feed(name: str) -> str:
    return (FIXTURES / name).read_bytes().decode("utf-8")  # keep the CRLFs


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def starts(text: str, rules: FeedRules = RULES) -> list[tuple[datetime, str]]:
    return sorted((s.start.astimezone(UTC), s.appointment_type) for s in parse_feed(text, rules))


def test_custom_vtimezone_events_and_freebusy_periods() -> None:
    assert starts(feed("feed_vtimezone.ics")) == [
        (utc(2026, 3, 28, 8, 0), "consultation-de-suivi"),  # 09:00 in "Heure de Paris", CET
        (utc(2026, 3, 29, 7, 0), "vaccination-grippe-adultes"),  # CEST: the rule's -1SU
        (utc(2026, 3, 30, 12, 0), "consultation"),  # UTC, lowercase marker, default type
        (utc(2026, 3, 31, 6, 30), "bilan"),  # floating time = Europe/Paris
        (utc(2026, 3, 31, 12, 0), "consultation"),  # FREEBUSY 12:00/PT1H in 20-min slots
        (utc(2026, 3, 31, 12, 20), "consultation"),
        (utc(2026, 3, 31, 12, 40), "consultation"),
        (utc(2026, 3, 31, 15, 0), "consultation"),  # 15:00-15:30: one whole slot only
    ]


def test_event_details_unfolded_and_unescaped() -> None:
    first = min(parse_feed(feed("feed_vtimezone.ics"), RULES), key=lambda s: s.start)
    assert first.end == utc(2026, 3, 28, 8, 20)
    assert first.booking_url == (
        "https://agenda.example.fr/ker-avel/reserver?creneau=a1&source=ical&lang=fr"
    )
    duration = [s for s in parse_feed(feed("feed_vtimezone.ics"), RULES)
                if s.start == utc(2026, 3, 30, 12, 0)]
    assert duration[0].end == utc(2026, 3, 30, 12, 30)
    assert duration[0].booking_url == RULES.booking_url


def test_iana_tzid_across_the_autumn_change_with_lf_and_tab_folds() -> None:
    assert starts(feed("feed_iana_autumn.ics")) == [
        (utc(2026, 10, 24, 16, 0), "vaccin-covid"),  # CATEGORIES:Vaccin\\ COVID
        (utc(2026, 10, 25, 8, 0), "vaccin-covid-dose-de-rappel"),  # CET after the change
    ]


def test_busy_only_feed_has_no_slot() -> None:
    assert parse_feed(feed("feed_busy_only.ics"), RULES) == []


def test_marker_and_transparency_rules_are_configurable() -> None:
    strict = FeedRules(free_marker="DISPONIBLE", transparent_is_free=False, slot_minutes=30)
    # no event says DISPONIBLE and TRANSPARENT no longer counts: only FREEBUSY remains
    assert [s for s, _ in starts(feed("feed_vtimezone.ics"), strict)] == [
        utc(2026, 3, 31, 12, 0), utc(2026, 3, 31, 12, 30), utc(2026, 3, 31, 15, 0)]


def test_window_skips_past_freebusy_keeping_the_grid() -> None:
    text = ("BEGIN:VCALENDAR\r\nBEGIN:VFREEBUSY\r\n"
            "FREEBUSY;FBTYPE=FREE:20260101T080000Z/20270101T080000Z\r\n"
            "END:VFREEBUSY\r\nEND:VCALENDAR\r\n")
    now = utc(2026, 6, 1, 10, 7)
    slots = parse_feed(text, FeedRules(slot_minutes=15), (now, now + timedelta(hours=1)))
    assert min(s.start for s in slots) == utc(2026, 6, 1, 10, 0)
    assert len(slots) <= 6


def test_reader_pieces() -> None:
    assert unfold("A:1\r\n  2\r\nB:3\n\tx\n") == ["A:1 2", "B:3x"]
    prop = parse_line('DTSTART;TZID="Zone: A;B";VALUE=DATE-TIME:20260101T000000')
    assert prop.name == "DTSTART" and prop.params == {"TZID": "Zone: A;B", "VALUE": "DATE-TIME"}
    assert unescape(r"a\, b\; c\\d\ne") == "a, b; c\\d\ne"
    assert parse_duration("P1W2DT3H4M5S", "x") == timedelta(weeks=1, days=2, hours=3, minutes=4,
                                                           seconds=5)
    assert parse_duration("-PT15M", "x") == -timedelta(minutes=15)


def test_vtimezone_gap_and_round_trip() -> None:
    calendar = parse_ics(feed("feed_vtimezone.ics"))
    zone = Zones(calendar).zone("Heure de Paris", "t")
    summer = datetime(2026, 7, 1, 12, 0, tzinfo=zone)
    assert summer.utcoffset() == timedelta(hours=2)
    assert summer.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == datetime(2026, 7, 1, 12)
    bad = ("BEGIN:VCALENDAR\r\n" + "\r\n".join(feed("feed_vtimezone.ics").split("\r\n")[5:22])
           + "\r\nBEGIN:VEVENT\r\nSUMMARY:FREE\r\n"
           'DTSTART;TZID="Heure de Paris":20260329T023000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n')
    with pytest.raises(ParseError, match="does not exist"):
        parse_feed(bad, RULES)


def test_recurring_free_events_with_exdate_rdate_and_overrides() -> None:
    now = utc(2026, 3, 22, 12, 0)
    slots = parse_feed(feed("feed_recurring.ics"), RULES, (now, now + timedelta(days=21)))
    assert sorted((s.start.astimezone(UTC), s.appointment_type) for s in slots) == [
        (utc(2026, 3, 23, 8, 0), "rappel"),  # Monday 09:00 CET
        # Wednesday 25 is an EXDATE, still counted by COUNT=6
        (utc(2026, 3, 24, 13, 0), "bilan"),  # floating 14:00, every other day
        (utc(2026, 3, 26, 14, 0), "bilan"),  # moved to 15:00 by its RECURRENCE-ID instance
        (utc(2026, 3, 28, 13, 0), "bilan"),  # last one before the floating UNTIL
        (utc(2026, 3, 30, 7, 0), "rappel"),  # 09:00 CEST: the wall time is kept over DST
        # Wednesday 1 April was booked: its RECURRENCE-ID instance is busy
        (utc(2026, 3, 31, 14, 0), "bilan"),  # RDATE 16:00 floating, CEST
        (utc(2026, 4, 6, 7, 0), "rappel"),
        (utc(2026, 4, 8, 7, 0), "rappel"),  # the 6th occurrence: COUNT reached
    ]
    assert {s.end - s.start for s in slots} == {timedelta(minutes=30), timedelta(minutes=20)}


def test_old_open_ended_rule_still_reaches_the_window() -> None:
    text = wrap("BEGIN:VEVENT", "UID:old", "SUMMARY:FREE", "DURATION:PT15M",
                "DTSTART;TZID=Europe/Paris:20090105T090000", "RRULE:FREQ=WEEKLY;INTERVAL=2",
                "END:VEVENT")
    now = utc(2026, 3, 20, 0, 0)
    starts = sorted(s.start for s in parse_feed(text, RULES, (now, now + timedelta(days=14)))
                    if s.start >= now)
    # every other Monday since 5 January 2009 (904 weeks before 23 March 2026, 09:00 CET)
    assert starts == [utc(2026, 3, 23, 8, 0)]


def test_tzid_with_a_path_prefix_ends_in_an_iana_name() -> None:
    text = wrap("BEGIN:VEVENT", "SUMMARY:FREE",
                "DTSTART;TZID=/mozilla.org/20050126_1/Europe/Paris:20260702T090000", "END:VEVENT")
    assert starts(text) == [(utc(2026, 7, 2, 7, 0), "consultation")]


def test_vtimezone_with_one_off_rdate_onsets() -> None:
    text = wrap("BEGIN:VTIMEZONE", "TZID:Île", "BEGIN:STANDARD", "DTSTART:20251026T030000",
                "RDATE:20261025T030000", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100",
                "END:STANDARD", "BEGIN:DAYLIGHT", "DTSTART:20260329T020000",
                "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "END:DAYLIGHT", "END:VTIMEZONE",
                *(f"BEGIN:VEVENT\r\nSUMMARY:FREE\r\nDTSTART;TZID=Île:{day}T090000\r\nEND:VEVENT"
                  for day in ("20260301", "20260701", "20261101", "20280701")))
    assert [s for s, _ in starts(text)] == [  # after the last onset, its offset holds
        utc(2026, 3, 1, 8, 0), utc(2026, 7, 1, 7, 0), utc(2026, 11, 1, 8, 0),
        utc(2028, 7, 1, 8, 0)]


def wrap(*lines: str) -> str:
    return "BEGIN:VCALENDAR\r\n" + "".join(f"{x}\r\n" for x in lines) + "END:VCALENDAR\r\n"


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (wrap("BEGIN:VEVENT", "SUMMARY:FREE", "DTSTART:2026-03-02T09:00:00", "END:VEVENT"),
         "VEVENT.DTSTART: unreadable DATE-TIME"),
        (wrap("BEGIN:VEVENT", "SUMMARY:FREE", "END:VEVENT"), "missing DTSTART"),
        (wrap("BEGIN:VEVENT", "SUMMARY:FREE", "DTSTART:20260231T090000", "END:VEVENT"),
         "impossible DATE-TIME"),
        (wrap("BEGIN:VEVENT", "SUMMARY:FREE", "DTSTART:99990101T090000Z", "END:VEVENT"),
         "absurd date"),
        (wrap("BEGIN:VEVENT", "SUMMARY:FREE", "DTSTART;TZID=Mars/Olympus:20260302T090000",
              "END:VEVENT"), "unknown TZID"),
        (wrap("BEGIN:VEVENT", "SUMMARY:FREE", "DTSTART:20260302T090000Z",
              "DTEND:20260302T080000Z", "END:VEVENT"), "before it starts"),
        (wrap("BEGIN:VEVENT", "SUMMARY:FREE", "DTSTART:20260302T090000Z", "DURATION:15min",
              "END:VEVENT"), "unreadable duration"),
        (wrap("BEGIN:VEVENT", "SUMMARY:FREE", "DTSTART:20260302T090000Z",
              "RRULE:FREQ=MONTHLY;BYDAY=1MO", "END:VEVENT"), "unsupported rule"),
        (wrap("BEGIN:VEVENT", "SUMMARY:FREE", "DTSTART:20260302T090000Z",
              "RRULE:FREQ=DAILY;BYDAY=XX", "END:VEVENT"), "unsupported BYDAY"),
        (wrap("BEGIN:VEVENT", "SUMMARY:FREE", "DTSTART:20260302T090000Z",
              "RRULE:FREQ=DAILY;COUNT=0", "END:VEVENT"), "positive"),
        (wrap("BEGIN:VEVENT", "SUMMARY:FREE", "DTSTART:20260302T090000Z",
              "RRULE:FREQ=DAILY;COUNT=2;UNTIL=20260401T000000Z", "END:VEVENT"), "together"),
        (wrap("BEGIN:VEVENT", "SUMMARY:FREE", "DTSTART:20260302T090000Z",
              "RDATE;VALUE=PERIOD:20260303T090000Z/PT1H", "END:VEVENT"), "PERIOD"),
        (wrap("BEGIN:VFREEBUSY", "FREEBUSY;FBTYPE=FREE:20260302T090000Z", "END:VFREEBUSY"),
         "start/end"),
        (wrap("BEGIN:VFREEBUSY", "DTSTART:2026-03-02", "END:VFREEBUSY"),
         "VFREEBUSY.DTSTART"),
        (wrap("BEGIN:VEVENT", "SUMMARY:FREE"), "does not close"),
        ("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:FREE\r\n", "truncated"),
        ('{"vcalendar": []}', "bad property name"),
        ('BEGIN:VCALENDAR\r\nNOCOLON\r\nEND:VCALENDAR', "no ':'"),
        ("", "missing BEGIN/END:VCALENDAR"),
        (wrap("BEGIN:VTIMEZONE", "TZID:X", "BEGIN:STANDARD", "DTSTART:19700101T000000",
              "TZOFFSETFROM:+0100", "TZOFFSETTO:+0100", "RRULE:FREQ=MONTHLY",
              "END:STANDARD", "END:VTIMEZONE"), "unsupported RRULE"),
        (wrap("BEGIN:VTIMEZONE", "TZID:X", "BEGIN:STANDARD", "DTSTART:19700101T000000",
              "TZOFFSETFROM:1h", "TZOFFSETTO:+0100", "END:STANDARD", "END:VTIMEZONE"),
         "UTC offset"),
        ("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\nBEGIN:VCALENDAR\r\n", "outside VCALENDAR"),
        (wrap("BAD NAME:1"), "property name"),
    ],
)
def test_bad_feeds_raise_parse_error_naming_the_field(text: str, field: str) -> None:
    with pytest.raises(ParseError, match=r"^ical") as err:
        parse_feed(text, RULES)
    assert field in str(err.value)


def calendar(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"id": "ker-avel", "name": "Cabinet Ker Avel",
                            "url": "https://agenda.example.fr/ker-avel.ics", "postcode": "56100",
                            "phone": "02 97 00 00 00", "slot_minutes": 20}
    base.update(changes)
    return base


def test_options_become_locations_with_their_feed_rules() -> None:
    options = {"calendars": [calendar(), calendar(id="tel", url="", phone_only=True)],
               "free_marker": "LIBRE", "appointment_type": "Consultation"}
    first, phone = locations_from_options(options)
    assert first.id == "ical:ker-avel" and first.area == "56" and first.phone == "+33297000000"
    rules = rules_for(first, options)
    assert (rules.free_marker, rules.slot_minutes, rules.appointment_type) == (
        "LIBRE", 20, "Consultation")
    assert phone.extra["phone_only"] == "1"


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"calendars": [calendar(lat=200)]}, "calendars.0.lat"),
        ({"calendars": [calendar(colour="red")]}, "calendars.0.colour"),
        ({"calendars": [calendar(url="")]}, "needs url"),
        ({"calendars": "x"}, "options.calendars"),
        ({"slot_minutes": 0}, "options.slot_minutes"),
    ],
)
def test_bad_options_raise_parse_error(options: dict[str, Any], field: str) -> None:
    with pytest.raises(ParseError, match=r"^ical") as err:
        locations_from_options(options)
    assert field in str(err.value)
