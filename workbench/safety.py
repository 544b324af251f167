"""How is a short circuit (or a lost contact) recognised while the cell is cycled?

``ShortDetector`` is a listener fed every cycling sample after it is stored. On the first criterion
met it calls ``on_detect`` with a ``SafetyEvent``; the runner then switches the output off before the
procedure takes its next sample. Each criterion is a threshold in ``ShortCriteria``:

Hard short (``hard_short_resistance_fraction``, default 0.2)
    A Na filament that bridges the pellet is an electronic path in parallel with the ionic one: the
    apparent cell resistance |V/I| collapses. The reference is |V/I| at the first sample of the
    half-cycle (the ohmic resistance of bulk, grain boundaries and interfaces before the step), and
    a new half-cycle's first sample is itself checked against the previous reference, so a short
    that forms between half-cycles is caught at once.

Soft short (``soft_short_drop_fraction`` 0.3 within ``soft_short_window_samples`` 5)
    A thin filament (or one that keeps breaking) gives a partial, sudden drop of |V| at constant
    current. Pore growth at the stripping electrode does the opposite: constriction raises |V| slowly
    through the half-cycle (the paper's rising plateaus above 4 mA/cm2). So a drop of more than 30 %
    below the highest |V| of the last 5 samples is a short, a slow rise is not.

Erratic voltage (``erratic_sign_change_fraction`` 0.75 over ``erratic_window_samples`` 12, with
``erratic_relative_amplitude`` 0.1)
    Filaments that form and burn open make |V| jump up and down. Measurement noise also flips the sign
    of dV, so both must hold: the sign of dV flips in at least 75 % of the window, and the scatter of
    dV is at least 10 % of the mean |V|.

Compliance (``compliance_fraction`` 0.999, ``current_tolerance_fraction`` 0.05)
    Checked first, on every sample under current: a source at its voltage compliance (|V| at or beyond
    the compliance the procedure set, or a measured current more than 5 % off the set one) no longer
    drives the current that was set, and its voltage is the source's limit, not the cell's. Not a short
    (``shorted=False``), and no short is ever judged from such a sample: the run is aborted with "the
    cell needs more than the 10 V compliance at 1 mA/cm²: current not as set".

Upper voltage limit (``upper_voltage_limit_v`` 10 V)
    The opposite failure: pores coalesce until the electrode loses contact and the voltage runs
    towards the compliance. Not a short (``shorted=False``); the run is aborted.

Samples at zero current (rests: the current set, when the point says it, else the measured one) are not
judged, and changes smaller than ``noise_floor_v`` never count. A sample's ``current_density_mA_cm2`` is the
measured one; its ``set_current_density_mA_cm2`` the one asked for (the event reports that one).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from workbench.events import DataPoint, SafetyEvent
from workbench.procedures.parameters import integer, number


@dataclass(frozen=True)
class ShortCriteria:
    hard_short_resistance_fraction: float = 0.2
    soft_short_drop_fraction: float = 0.3
    soft_short_window_samples: int = 5
    erratic_window_samples: int = 12
    erratic_sign_change_fraction: float = 0.75
    erratic_relative_amplitude: float = 0.1
    upper_voltage_limit_v: float = 10.0
    #: |V| at or above this fraction of the compliance counts as at the compliance
    compliance_fraction: float = 0.999
    #: a measured current further than this fraction from the set one is not as set
    current_tolerance_fraction: float = 0.05
    noise_floor_v: float = 2e-4
    #: Current below which a sample counts as a rest (A).
    rest_current_a: float = 1e-9
    #: Samples kept before the detection for the safety record.
    record_window_samples: int = 30

    def __post_init__(self) -> None:
        number("hard_short_resistance_fraction", self.hard_short_resistance_fraction, minimum=0, maximum=1)
        number("soft_short_drop_fraction", self.soft_short_drop_fraction, strictly_positive=True, maximum=1)
        integer("soft_short_window_samples", self.soft_short_window_samples, minimum=1)
        integer("erratic_window_samples", self.erratic_window_samples, minimum=4)
        number("erratic_sign_change_fraction", self.erratic_sign_change_fraction, minimum=0, maximum=1)
        number("erratic_relative_amplitude", self.erratic_relative_amplitude, minimum=0)
        number("upper_voltage_limit_v", self.upper_voltage_limit_v, strictly_positive=True, unit="V")
        number("compliance_fraction", self.compliance_fraction, strictly_positive=True, maximum=1)
        number("current_tolerance_fraction", self.current_tolerance_fraction, strictly_positive=True, maximum=1)
        number("noise_floor_v", self.noise_floor_v, minimum=0, unit="V")
        integer("record_window_samples", self.record_window_samples, minimum=1)


class ShortDetector:
    """Judges each cycling sample; calls ``on_detect(event)`` once, at the first criterion met."""

    def __init__(
        self, criteria: ShortCriteria | None = None, on_detect: Callable[[SafetyEvent], None] | None = None
    ):
        self.criteria = criteria or ShortCriteria()
        self.on_detect = on_detect
        self.detected: SafetyEvent | None = None
        self.reset()

    def reset(self) -> None:
        c = self.criteria
        self.detected = None
        self.reference_resistance_ohm: float | None = None
        self._half_cycle: int | None = None
        self._voltages_v: list[float] = []
        self._history: deque[dict[str, float]] = deque(maxlen=c.record_window_samples)

    def __call__(self, event) -> None:
        if isinstance(event, DataPoint) and event.kind == "cycling" and self.detected is None:
            found = self.feed(event)
            if found is not None and self.on_detect is not None:
                self.on_detect(found)

    def feed(self, point: DataPoint) -> SafetyEvent | None:
        """Judge one sample; return the safety event if it is the first one to meet a criterion."""
        if self.detected is not None:
            return None
        c = self.criteria
        v = float(point["voltage_v"])
        i = float(point["current_a"])
        self._history.append(
            {
                "time_s": point.time_s,
                "voltage_v": v,
                "current_a": i,
                "seq": point.seq,
                "half_cycle": point["half_cycle"],
            }
        )
        j_set = point.values.get("set_current_density_mA_cm2")
        if (abs(i) < c.rest_current_a) if j_set is None else (j_set == 0):
            return None
        half_cycle = int(point["half_cycle"])
        limited = self._compliance(point, v, j_set)
        if limited is not None:
            return self._found(point, "compliance", limited, shorted=False)
        if abs(v) > c.upper_voltage_limit_v:
            return self._found(
                point,
                "upper_voltage_limit",
                f"|V| = {abs(v):.3g} V above the {c.upper_voltage_limit_v:g} V limit: contact loss",
                shorted=False,
            )
        resistance = abs(v / i)
        if half_cycle != self._half_cycle:
            self._half_cycle = half_cycle
            self._voltages_v = []
            previous = self.reference_resistance_ohm
            if previous is not None and resistance < c.hard_short_resistance_fraction * previous:
                return self._hard(point, resistance, previous)
            self.reference_resistance_ohm = resistance
        elif resistance < c.hard_short_resistance_fraction * self.reference_resistance_ohm:
            return self._hard(point, resistance, self.reference_resistance_ohm)
        magnitude = abs(v)
        recent = self._voltages_v[-c.soft_short_window_samples :]
        self._voltages_v.append(magnitude)
        if recent:
            peak = max(recent)
            drop = peak - magnitude
            if drop > c.soft_short_drop_fraction * peak and drop > c.noise_floor_v:
                return self._found(
                    point,
                    "soft_short",
                    f"|V| fell from {peak:.4g} V to {magnitude:.4g} V ({drop / peak:.0%}) within "
                    f"{len(recent)} samples at constant current",
                )
        n = c.erratic_window_samples
        if len(self._voltages_v) >= n:
            window = np.asarray(self._voltages_v[-n:])
            dv = np.diff(window)
            signs = np.sign(dv[np.abs(dv) > c.noise_floor_v])
            if len(signs) >= n // 2:
                flips = np.count_nonzero(signs[1:] != signs[:-1]) / (len(dv) - 1)
                scatter = float(np.std(dv)) / max(float(np.mean(window)), 1e-12)
                if flips >= c.erratic_sign_change_fraction and scatter >= c.erratic_relative_amplitude:
                    return self._found(
                        point,
                        "erratic_voltage",
                        f"dV changed sign in {flips:.0%} of the last {n} samples with a scatter of "
                        f"{scatter:.0%} of |V|",
                    )
        return None

    def _compliance(self, point: DataPoint, v: float, j_set: float | None) -> str | None:
        """Why this sample is not at the current that was set (the source at its compliance), or None."""
        c = self.criteria
        compliance = point.values.get("compliance_v")
        j = float(point["current_density_mA_cm2"])
        at_limit = compliance is not None and abs(v) >= c.compliance_fraction * compliance
        off = j_set is not None and abs(j - j_set) > c.current_tolerance_fraction * abs(j_set)
        if not (at_limit or off):
            return None
        reference = j_set if j_set is not None else j
        direction = "plating" if reference < 0 else "stripping"
        limit = f"the {compliance:g} V compliance" if compliance is not None else "what the source can give"
        if compliance is not None and abs(v) > compliance * (2 - c.compliance_fraction):
            what = f"|V| = {abs(v):.4g} V passed it and the source stopped"   # a source without a clamp
        else:
            what = f"{abs(j):.3g} mA/cm² flowed at |V| = {abs(v):.4g} V"
        return (f"the cell needs more than {limit} at {abs(reference):g} mA/cm²: current not as set ({what}; "
                f"{direction}, half-cycle {int(point['half_cycle'])})")

    def _hard(self, point: DataPoint, resistance: float, reference: float) -> SafetyEvent:
        return self._found(
            point,
            "hard_short",
            f"|V/I| = {resistance:.4g} ohm fell below "
            f"{self.criteria.hard_short_resistance_fraction:g} x {reference:.4g} ohm",
        )

    def _found(self, point: DataPoint, criterion: str, detail: str, shorted: bool = True) -> SafetyEvent:
        self.detected = SafetyEvent(
            criterion=criterion,
            time_s=point.time_s,
            current_density_mA_cm2=float(point.values.get("set_current_density_mA_cm2",
                                                          point["current_density_mA_cm2"])),
            half_cycle=int(point["half_cycle"]),
            step=int(point["step"]),
            detail=detail,
            shorted=shorted,
            window=tuple(self._history),
        )
        return self.detected
