"""How procedure parameters are checked and read from a mapping (a protocol file's table).

Each procedure's parameters are a frozen dataclass that checks itself on construction and raises
``ParameterError`` naming the field, what is wrong and what is expected. ``build`` turns a mapping
(from TOML) into such a dataclass, refusing unknown and missing keys by name, and building nested
tables (sub-ranges, sweeps, sequence steps) from the field's ``metadata``.

Magnitudes are bounded here, once for every procedure: a duration (unit ``s``) is at most
``MAX_RUN_S``, a count at most ``MAX_COUNT``, a sample period at least ``MIN_SAMPLE_PERIOD_S``; and
``check_extent`` refuses a whole run (its plan) longer than ``MAX_RUN_S`` or with more points than
``MAX_RUN_POINTS``, naming the keys that set its length. ``Procedure.checked_plan`` applies it.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

#: The longest run the workbench takes: 90 days (long-term cycling is weeks; nothing on a bench is years).
MAX_RUN_S = 90 * 86400.0
#: The most points one run may store (about 2 GB in the workspace database).
MAX_RUN_POINTS = 20_000_000
#: The shortest sample period: no instrument here is read faster than once a millisecond.
MIN_SAMPLE_PERIOD_S = 1e-3
#: The largest count (cycles, points per decade, window sizes) any parameter takes.
MAX_COUNT = 1_000_000
#: The smallest current density a procedure drives (1 nA/cm2; the plan keeps 1e-10 mA/cm2 resolution).
MIN_CURRENT_DENSITY_MA_CM2 = 1e-6


#: The words a user reads for each parameter key (with its unit), used by ``ParameterError.for_display``
#: where a form does not give its own label for a key.
FIELD_LABELS: dict[str, str] = {
    "start_frequency_hz": "the highest frequency (Hz)",
    "stop_frequency_hz": "the lowest frequency (Hz)",
    "points_per_decade": "points per decade",
    "amplitude_v": "amplitude (V rms)",
    "dc_bias_v": "DC bias (V)",
    "sub_ranges": "the sub-ranges",
    "high_frequency_hz": "sub-range from (Hz)",
    "low_frequency_hz": "sub-range to (Hz)",
    "integration_s": "integration (s)",
    "integration_cycles": "integration (cycles)",
    "delay_s": "delay (s)",
    "delay_cycles": "delay (cycles)",
    "current_density_mA_cm2": "current density (mA/cm²)",
    "current_densities_mA_cm2": "current densities (mA/cm²)",
    "start_current_density_mA_cm2": "start current density (mA/cm²)",
    "stop_current_density_mA_cm2": "stop current density (mA/cm²)",
    "step_current_density_mA_cm2": "step (mA/cm²)",
    "capacity_mAh_cm2": "capacity per half-cycle (mAh/cm²)",
    "half_cycle_s": "half-cycle duration (s)",
    "half_cycles_s": "half-cycle durations (s)",
    "duration_s": "duration (s)",
    "cycles": "cycles",
    "cycles_per_step": "cycles per step",
    "rest_s": "rest (s)",
    "sample_period_s": "sample period (s)",
    "compliance_v": "voltage compliance (V)",
    "direction": "direction",
    "first_direction": "first direction",
    "setpoint_c": "setpoint (°C)",
    "ramp_c_per_min": "ramp (°C/min)",
    "tolerance_c": "tolerance (°C)",
    "stable_for_s": "stable for (s)",
}


def in_words(message: str, labels: Mapping[str, str] | None = None) -> str:
    """``message`` with every parameter key in it (quoted or not) replaced by the words the user reads:
    ``labels`` first (a form's own field labels), then ``FIELD_LABELS``."""
    words = {**FIELD_LABELS, **(labels or {})}
    pattern = re.compile(r"'?\b(" + "|".join(sorted(map(re.escape, words), key=len, reverse=True)) + r")\b'?")
    return pattern.sub(lambda match: words[match.group(1)], message)


class ParameterError(ValueError):
    """A parameter is wrong: ``field`` names it (dotted for nested tables), the message says why.

    ``str(exc)`` names the key (for protocol files and the command line); ``for_display(labels)`` says
    the same in the words of the form the user typed into."""

    def __init__(self, field_name: str, message: str):
        self.field = field_name
        self.message = message
        super().__init__(f"'{field_name}' {message}" if field_name else f"the run {message}")

    @property
    def key(self) -> str:
        """The field's own key, without the tables it is nested in (``sweep_before.amplitude_v`` ->
        ``amplitude_v``; ``half_cycles_s[2]`` -> ``half_cycles_s``)."""
        return re.sub(r"\[\d+\]$", "", self.field.rsplit(".", 1)[-1])

    def for_display(self, labels: Mapping[str, str] | None = None) -> str:
        """'Duration (s) must be greater than 0, got 0.' rather than "'duration_s' must be ..."."""
        words = {**FIELD_LABELS, **(labels or {})}
        label = words.get(self.key, self.key.replace("_", " "))
        message = in_words(self.message, labels)
        unit = re.search(r"\(([^()]*)\)$", label)
        if unit is not None:  # the label says the unit already
            for spelling in (unit.group(1), unit.group(1).replace("²", "2")):
                message = message.replace(f" ({spelling})", "")
        text = f"{label} {message}" if self.field else f"The run {message}"
        return text[0].upper() + text[1:]


def all_errors(cls: type, values: Mapping[str, Any], limit: int = 20) -> list[ParameterError]:
    """Every ``ParameterError`` that ``cls(**values)`` has, not only the first: each field found wrong is
    set back to its default and the parameters are checked again (a form shows them all at once)."""
    defaults = {f.name: f.default for f in dataclasses.fields(cls) if f.default is not dataclasses.MISSING}
    values = dict(values)
    found: list[ParameterError] = []
    for _ in range(limit):
        try:
            cls(**values)
        except TypeError:
            break  # a required field is missing: whoever read the form has said so already
        except ParameterError as exc:
            key = exc.field.split(".", 1)[0].split("[", 1)[0]
            if any(key == f.field.split(".", 1)[0].split("[", 1)[0] for f in found):
                break  # the default put in its place is refused too: that field is said already
            found.append(exc)
            if key not in values or key not in defaults or values[key] == defaults[key]:
                break
            values[key] = defaults[key]
        else:
            break
    return found


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def number(
    name: str,
    value: Any,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    strictly_positive: bool = False,
    unit: str = "",
) -> float:
    """Check a finite number within limits; return it as float. A duration (``unit="s"``) or a number of
    cycles is bounded by ``MAX_RUN_S`` or ``MAX_COUNT`` unless a tighter ``maximum`` is given."""
    unit_text = f" ({unit})" if unit else ""
    if maximum is None and unit == "s" and _is_number(value) and value > MAX_RUN_S:
        raise ParameterError(
            name, f"must be at most {MAX_RUN_S:.0f} s (90 days, the longest run the workbench takes), got {value!r}."
        )
    if maximum is None and unit == "cycles":
        maximum = MAX_COUNT
    if minimum is None and unit == "mA/cm2" and strictly_positive and _is_number(value) and 0 < value:
        minimum = MIN_CURRENT_DENSITY_MA_CM2
    if not _is_number(value):
        raise ParameterError(name, f"must be a number{unit_text}, got {value!r}.")
    if strictly_positive and value <= 0:
        raise ParameterError(name, f"must be greater than 0{unit_text}, got {value!r}.")
    if minimum is not None and value < minimum:
        raise ParameterError(name, f"must be at least {minimum}{unit_text}, got {value!r}.")
    if maximum is not None and value > maximum:
        raise ParameterError(name, f"must be at most {maximum}{unit_text}, got {value!r}.")
    return float(value)


def integer(name: str, value: Any, *, minimum: int = 0, maximum: int = MAX_COUNT) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise ParameterError(name, f"must be a whole number, got {value!r}.")
    if value < minimum:
        raise ParameterError(name, f"must be at least {minimum}, got {value!r}.")
    if value > maximum:
        raise ParameterError(name, f"must be at most {maximum}, got {value!r}.")
    return int(value)


def sample_period(name: str, value: Any, *, maximum: float = 3600.0) -> float:
    """A sampling period in seconds: from ``MIN_SAMPLE_PERIOD_S`` to ``maximum``."""
    if _is_number(value) and 0 < value < MIN_SAMPLE_PERIOD_S:
        raise ParameterError(
            name, f"must be at least {MIN_SAMPLE_PERIOD_S:g} s (no instrument here is read faster), got {value!r}."
        )
    return number(name, value, strictly_positive=True, maximum=maximum, unit="s")


def _span(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "forever"
    for unit, size in (("years", 365.25 * 86400), ("days", 86400), ("h", 3600)):
        if seconds >= 2 * size:
            return f"{seconds / size:.3g} {unit}"
    return f"{seconds:.3g} s"


def check_extent(duration_s: float, n_points: float, keys: tuple[str, ...], field_name: str = "") -> None:
    """Refuse a run longer than ``MAX_RUN_S`` or with more than ``MAX_RUN_POINTS`` points, naming the keys
    that set its length (``keys``) and the limit. ``field_name`` is the key the error is attached to."""
    periods = [k for k in keys if "period" in k]
    lengths = [k for k in keys if k not in periods]
    which = ", ".join(lengths[:-1]) + (" or " if len(lengths) > 1 else "") + (lengths[-1] if lengths else "")
    if not duration_s <= MAX_RUN_S:
        raise ParameterError(
            field_name,
            f"would run for {duration_s:.3g} s ({_span(duration_s)}), longer than the {MAX_RUN_S:.0f} s "
            f"(90 days) a run may last; lower {which or 'its durations'}.",
        )
    if not n_points <= MAX_RUN_POINTS:
        raise ParameterError(
            field_name,
            f"would store {n_points:.3g} points, more than the {MAX_RUN_POINTS} one run may store; "
            f"raise {' or '.join(periods) or 'the sample period'}, or lower {which or 'its durations'}.",
        )


def choice(name: str, value: Any, options: tuple[str, ...]) -> str:
    if value not in options:
        raise ParameterError(name, f"must be one of {', '.join(repr(o) for o in options)}, got {value!r}.")
    return value


def flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ParameterError(name, f"must be true or false, got {value!r}.")
    return value


def numbers(name: str, value: Any, *, strictly_positive: bool = True, unit: str = "") -> tuple[float, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, list | tuple) or not value:
        raise ParameterError(name, f"must be a non-empty list of numbers ({unit}), got {value!r}.")
    return tuple(
        number(f"{name}[{i}]", v, strictly_positive=strictly_positive, unit=unit) for i, v in enumerate(value)
    )


def setfield(obj: Any, name: str, value: Any) -> None:
    """Store a normalised value on a frozen dataclass during ``__post_init__``."""
    object.__setattr__(obj, name, value)


def nested(
    builder: type | Callable[[Mapping, str], Any], *, many: bool = False, **kwargs
) -> dataclasses.Field:
    """A dataclass field holding one (or, ``many``, a tuple of) nested parameter tables."""
    metadata = {"nested": builder, "many": many}
    return dataclasses.field(metadata=metadata, **kwargs)


def build(cls: type, data: Any, where: str) -> Any:
    """Build parameters dataclass ``cls`` from a mapping, naming ``where.key`` in every error."""
    if dataclasses.is_dataclass(data) and isinstance(data, cls):
        return data
    if not isinstance(data, Mapping):
        raise ParameterError(where, f"must be a table of {cls.__name__} keys, got {data!r}.")
    known = {f.name: f for f in dataclasses.fields(cls) if f.init}
    for key in data:
        if key not in known:
            raise ParameterError(
                f"{where}.{key}" if where else key,
                f"is not a known key here; expected one of: {', '.join(known)}.",
            )
    missing = [
        name
        for name, f in known.items()
        if name not in data and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise ParameterError(f"{where}.{missing[0]}" if where else missing[0], "is missing; it is required.")
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        f = known[key]
        path = f"{where}.{key}" if where else key
        builder = f.metadata.get("nested")
        if builder is None:
            kwargs[key] = tuple(value) if isinstance(value, list) else value
        elif value is None or value is False:
            kwargs[key] = None
        elif value is True and not f.metadata.get("many"):
            kwargs[key] = _build_one(builder, {}, path)  # `sweep_before = true`: the default table
        elif f.metadata.get("many"):
            if not isinstance(value, list | tuple):
                raise ParameterError(path, f"must be a list of tables ([[{path}]]), got {value!r}.")
            kwargs[key] = tuple(_build_one(builder, item, f"{path}[{i}]") for i, item in enumerate(value))
        else:
            kwargs[key] = _build_one(builder, value, path)
    try:
        return cls(**kwargs)
    except ParameterError as exc:
        if where and not exc.field.startswith(where + "."):
            raise ParameterError(f"{where}.{exc.field}", exc.message) from None
        raise


def _build_one(builder: Any, value: Any, path: str) -> Any:
    if isinstance(builder, type):
        return build(builder, value, path)
    return builder(value, path)
