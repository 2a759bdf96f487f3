"""Times as people and formats read them: the one place that turns integer
milliseconds into text, with one rounding rule (to the nearest second, a
half second up), so a section reads the same length on the page, the
handout, the transcript and the command line."""

from __future__ import annotations


def whole_seconds(ms: int) -> int:
    """``ms`` to the nearest second, a half second up (2,500 ms is 3 s)."""
    return (ms + 500) // 1000


def clock(ms: int) -> str:
    """A length as a player shows it: 4:02, or 1:04:02 past the hour."""
    hours, rest = divmod(whole_seconds(ms), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def iso8601(ms: int) -> str:
    """The same length for machines (a <time> element's datetime): PT4M2S."""
    hours, rest = divmod(whole_seconds(ms), 3600)
    minutes, seconds = divmod(rest, 60)
    return "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + f"{seconds}S"


def timestamp(ms: int, separator: str = ".") -> str:
    """An exact point in the audio, HH:MM:SS.mmm (WebVTT, Podlove chapters;
    SRT separates the milliseconds with a comma)."""
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}{millis:03d}"


def moment(ms: int) -> str:
    """A point to listen from, to a tenth of a second: 0:05.7."""
    tenths = ms // 100
    return f"{tenths // 600}:{tenths // 10 % 60:02d}.{tenths % 10}"


def in_seconds(ms: int) -> str:
    """An exact point or length for a message, in seconds to the millisecond:
    12.345 s (the problems check reports compare times this close)."""
    return f"{ms / 1000:.3f} s"
