"""Reading what a user types into a field, and writing durations back, the same way everywhere.

Errors are ``ValueError`` messages that name the field and say what was expected; the forms show them.
"""

from __future__ import annotations

import math


def parse_number(text: str, name: str) -> float:
    """'1.7' or '1,7' -> 1.7."""
    try:
        return float(text.replace(",", ".").strip())
    except ValueError:
        raise ValueError(f"{name}: {text!r} is not a number.") from None


def whole_number(text: str, name: str, minimum: int, maximum: int) -> int:
    """A count typed into a field: '20' -> 20; refuses fractions, infinities and what is out of range,
    in one line naming the field."""
    value = parse_number(text, name)
    if not math.isfinite(value) or value != int(value) or not minimum <= value <= maximum:
        raise ValueError(f"{name} must be a whole number from {minimum} to {maximum}, got {text.strip()!r}.")
    return int(value)


def parse_numbers(text: str, name: str) -> tuple[float, ...]:
    """'1 2 3' or '1; 2; 3' -> (1.0, 2.0, 3.0)."""
    parts = [p for p in text.replace(";", " ").replace(",", " ").split() if p]
    if not parts:
        raise ValueError(f"{name}: give one or more numbers separated by spaces.")
    return tuple(parse_number(p, name) for p in parts)


def parse_time(text: str, name: str) -> tuple[float, str]:
    """'2 s' -> (2, 's'); '30 cycles' -> (30, 'cycles'); a bare number is seconds."""
    parts = text.strip().split()
    if not parts or len(parts) > 2:
        raise ValueError(f"{name}: write a time such as '2 s' or '10 cycles', got {text!r}.")
    value = parse_number(parts[0], name)
    unit = parts[1].lower() if len(parts) == 2 else "s"
    if unit in ("s", "sec", "seconds"):
        return value, "s"
    if unit in ("cycle", "cycles", "cyc"):
        return value, "cycles"
    raise ValueError(f"{name}: the unit must be 's' or 'cycles', got {parts[1]!r}.")


def time_left_text(progress, *, upper_bound: bool = False) -> str:
    """The time left of a run under way, never a confident 0 while it goes on: '3 h 05 min left',
    'at least 10 min 00 s left' (a step runs longer than planned), 'time left unknown'.

    ``upper_bound``: the words of a run that may end early (a CCD test ends at the short): '3 h 05 min at
    most', 'at least 10 min 00 s', 'unknown', 'none'."""
    remaining = progress.remaining_s
    if remaining is None or not math.isfinite(remaining) or (remaining <= 0 and progress.fraction < 1):
        return "unknown" if upper_bound else "time left unknown"
    if remaining <= 0:
        return "none" if upper_bound else "nothing left"
    text = "< 1 s" if remaining < 1 else duration_text(math.ceil(remaining))
    if progress.at_least:
        return f"at least {text}" + ("" if upper_bound else " left")
    return f"{text} at most" if upper_bound else f"{text} left"


def percent_text(fraction: float) -> str:
    """'42 %': rounded down, so that a run is said 100 % only when it is done."""
    return f"{math.floor(100 * min(max(fraction, 0.0), 1.0) + 1e-9):.0f} %"


def duration_text(seconds: float | None) -> str:
    """12 s, 7 min 30 s, 3 h 05 min."""
    if seconds is None or not math.isfinite(seconds):
        return "—"
    seconds = max(0.0, float(seconds))
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"
