"""The emulated Na|NZSP|Na symmetric cell: the one physical model behind every emulated instrument.

After Quérel et al., "Chemical tuning of NaSICON surfaces for fast-charging Na metal solid-state
batteries" (the seed paper). Every constant, its value and its source is in ``PARAMETERS.md``.

Sign convention (the paper's, the cycler's and the workbench's): the current is that of the working
electrode. Positive current is anodic there (it strips Na from the working electrode and plates the
counter electrode); **negative current plates Na on the working electrode** ("the plating direction was
arbitrarily attributed to negative current densities"). The voltage is the working electrode's against
the counter electrode, so it has the sign of the current.

Impedance (vectorised), with each electrode ``k`` (working, counter) contributing its own interface::

    Z = R_series + j w L + [R_bulk + (R_gb | CPE_gb) + sum_k ((R_ct | CPE_dl) + (R_c,k | CPE_int))] | R_filament

R_ct is charge transfer (<= 0.1 Ohm cm2: its arc hides under the grain-boundary arc); R_c,k is the rest
of the interface resistance (constriction by pores, contaminants, interphase: the surface preset's value,
plus the pores stripping has opened at that electrode). Its capacitance depends on the surface
(``surfaces.py``): the paper's interface arc on polished surfaces, a low-frequency process on thermally
activated ones. R_filament exists only after a short.

Under a galvanostatic current: the ohmic drop of leads, bulk and grain boundaries, a Butler-Volmer
overpotential of R_ct at each electrode, and the constriction R_c,k of each electrode, ohmic. At low
current the voltage is therefore I x Z'(f -> 0).

Failure (Kasemchainan et al., Nat. Mater. 18 (2019) 1105: critical stripping current leads to dendrite
formation on plating): stripping an electrode faster than its pore onset opens pores (constriction rises
through the half-cycle, plating refills them); stripping it at or above its critical current density
(CCD) leaves voids, as does a large stripped excess (the paper's 0.5 h at 10 mA/cm2). The next plating
onto that electrode nucleates a Na filament across the pellet: a soft short (a thin filament, erratic
under current) that becomes a hard one as current keeps flowing. The working electrode's interface is the
weaker one (its CCD is the surface's; the counter electrode's is ``counter_electrode_margin`` times
higher), so the short comes on plating onto the working electrode, a negative-current half-cycle, as in
the paper's cell.

Sodium runs out: each electrode holds ``sodium_mAh_cm2`` (the paper's 11 mAh electrodes); stripping moves
it to the other electrode. Over its last ``depletion_fraction`` an electrode's contact area, so its
constriction resistance, goes with what is left, and with none left the circuit is open: the voltage goes
to the source's compliance (a long one-way hold ends there).

Temperature: Arrhenius for bulk, grain boundaries and interfaces; the CCD, pore onset and pore relaxation
follow the creep of Na (its self-diffusion activation energy). The state (pores, voids, short) is
integrated exactly, piecewise in clock time, so a reading at clock time t gives the cell at t however
often it is sampled.
"""

from __future__ import annotations

import math
import random
import threading
from dataclasses import dataclass

import numpy as np

from instruments.clock import Clock, ManualClock
from instruments.emulation.stage import ThermalStage
from instruments.emulation.surfaces import PRESETS, SurfacePreset, find_preset

__all__ = ["PRESETS", "CellModel", "CellParameters", "SurfacePreset", "find_preset"]

K_B_EV = 8.617333262e-5      # Boltzmann constant, eV/K
FARADAY = 96485.33212        # C/mol
R_GAS = 8.314462618          # J/(mol K)
T0_K = 298.15                # reference temperature of every 25 C value


@dataclass(frozen=True)
class CellParameters:
    """Geometry, materials and model constants (25 C unless stated); see PARAMETERS.md."""

    thickness_cm: float = 0.170
    electrode_diameter_cm: float = 0.85
    bulk_conductivity_S_cm: float = 15e-3
    total_conductivity_S_cm: float = 5e-3
    gb_apex_hz: float = 1.0e6
    n_gb: float = 0.90
    r_ct_ohm_cm2: float = 0.05               # charge transfer per interface
    c_dl_F_cm2: float = 5e-6                 # double-layer capacitance per electrode area
    n_dl: float = 0.95
    n_interface: float = 0.88
    ea_bulk_ev: float = 0.25
    ea_gb_ev: float = 0.35
    ea_interface_ev: float = 0.40
    ea_creep_ev: float = 0.44
    lead_inductance_h: float = 1.0e-7
    series_resistance_ohm: float = 0.5
    ccd_scatter: float = 0.02                # relative cell-to-cell scatter of the CCD
    counter_electrode_margin: float = 3.0    # counter electrode's CCD and pore onset / working electrode's
    pore_ohm_cm2_per_mAh_cm2: float = 25.0   # constriction per stripped excess capacity ...
    pore_quadratic_per_mAh_cm2: float = 1.1  # ... growing faster as pores coalesce
    pore_failure_mAh_cm2: float = 2.5        # stripped excess after which the next plating fails
    pore_relax_s: float = 1800.0             # pores and voids close by Na creep at rest
    void_min_mAh_cm2: float = 0.02           # charge stripped at >= CCD that leaves a void
    nucleation_mAh_cm2: float = 0.005        # charge plated onto a void before the filament bridges
    soft_filament_fraction: tuple[float, float] = (0.3, 1.0)   # soft filament / cell DC resistance
    soft_jitter: float = 0.35                # log-normal scatter of a soft filament under current
    soft_to_hard_s: float = 20.0             # seconds of current through a soft short until it is hard
    hard_short_ohm: tuple[float, float] = (0.1, 1.0)
    sodium_mAh_cm2: float = 19.4             # Na in each electrode as assembled (11 mAh on an 8.5 mm disc)
    depletion_fraction: float = 0.05         # the last part of an electrode's Na: islands, less contact
    dc_noise_v: float = 2e-5
    rest_noise_v: float = 1e-5


@dataclass
class _Electrode:
    """The evolving state of one Na|NZSP interface."""

    ccd_mA_cm2: float                 # 25 C, with this cell's scatter
    onset_mA_cm2: float               # 25 C
    pores_mAh_cm2: float = 0.0        # stripped excess capacity not yet refilled
    voids_mAh_cm2: float = 0.0        # charge stripped at or above the CCD
    vulnerable: bool = False          # being plated onto voids: a filament is nucleating
    nucleated_mAh_cm2: float = 0.0
    sodium_mAh_cm2: float = math.inf  # Na left in this electrode


WORKING, COUNTER = 0, 1


class CellModel:
    """One Na|NZSP|Na cell on a temperature stage, evolving with clock time."""

    def __init__(self, surface_state: str = "as sintered", *, clock: Clock | None = None,
                 seed: int | None = None, params: CellParameters | None = None,
                 stage: ThermalStage | None = None, name: str | None = None):
        self.preset = find_preset(surface_state)
        self.params = p = params or CellParameters()
        #: the sample this cell is registered under on a bench (None: the bench's initial cell)
        self.name = name
        self.clock = clock if clock is not None else ManualClock()
        self.stage = stage if stage is not None else ThermalStage(self.clock)
        self.seed = seed
        seeds = np.random.SeedSequence(seed)
        scatter_rng, fra_seq, dc_seq = (np.random.default_rng(s) for s in seeds.spawn(3))
        ccd = self.preset.ccd_mA_cm2 * (1.0 + p.ccd_scatter * float(scatter_rng.standard_normal()))
        self._soft_fraction = float(scatter_rng.uniform(*p.soft_filament_fraction))
        self._r_hard_short = float(scatter_rng.uniform(*p.hard_short_ohm))
        #: random streams for the instruments measuring this cell (seeded with the cell)
        self.fra_rng = fra_seq
        self.dc_rng = random.Random(int(dc_seq.integers(2**62)))
        self._area = math.pi * (p.electrode_diameter_cm / 2) ** 2
        self._r_bulk25 = p.thickness_cm / (p.bulk_conductivity_S_cm * self._area)
        self._r_gb25 = p.thickness_cm / (p.total_conductivity_S_cm * self._area) - self._r_bulk25
        self._c_gb = 1.0 / (2 * math.pi * p.gb_apex_hz * self._r_gb25)
        m = p.counter_electrode_margin
        self._electrodes = (_Electrode(ccd, self.preset.pore_onset_mA_cm2, sodium_mAh_cm2=p.sodium_mAh_cm2),
                            _Electrode(ccd * m, self.preset.pore_onset_mA_cm2 * m, sodium_mAh_cm2=p.sodium_mAh_cm2))
        self._lock = threading.RLock()
        self._t = self.clock.now()
        self._current_a = 0.0
        self._sign = 0
        self._q_half = 0.0
        self._short = "none"             # none | soft | hard
        self._short_time: float | None = None
        self._short_sign = 0
        self._soft_flow_s = 0.0
        self._r_filament = math.inf

    # --- read-only facts ---------------------------------------------------------------------
    def describe(self) -> str:
        """One line naming this cell: "emulated cell NZSP-01: EtOH500, 1.70 mm, 8.5 mm electrodes"."""
        who = f"emulated cell {self.name}" if self.name else "emulated cell"
        text = (f"{who}: {self.surface_state}, {10 * self.params.thickness_cm:.2f} mm, "
                f"{10 * self.params.electrode_diameter_cm:.1f} mm electrodes")
        state = self.short_state
        return text + (f", {state}-shorted" if state != "none" else "")

    @property
    def surface_state(self) -> str:
        return self.preset.name

    @property
    def area_cm2(self) -> float:
        return self._area

    @property
    def thickness_cm(self) -> float:
        return self.params.thickness_cm

    @property
    def electrode_diameter_cm(self) -> float:
        return self.params.electrode_diameter_cm

    @property
    def critical_current_density_mA_cm2(self) -> float:
        """This cell's CCD at 25 C: the working electrode's critical stripping current density."""
        return self._electrodes[WORKING].ccd_mA_cm2

    def critical_current_density_at(self, temperature_c: float) -> float:
        """This cell's CCD (mA/cm2) at a temperature: it follows the creep of Na."""
        return self.critical_current_density_mA_cm2 * self._creep(temperature_c)

    @property
    def r_interface_ohm_cm2(self) -> float:
        """Interface resistance as prepared (per interface, 25 C, no pores): constriction plus charge
        transfer, Ohm cm2."""
        return self.preset.r_interface_ohm_cm2 + self.params.r_ct_ohm_cm2

    @property
    def temperature_c(self) -> float:
        return self.stage.temperature_c()

    @property
    def shorted(self) -> bool:
        return self.short_state != "none"

    @property
    def short_state(self) -> str:
        """'none', 'soft' or 'hard'."""
        with self._lock:
            self._advance(self.clock.now())
            return self._short

    @property
    def short_time_s(self) -> float | None:
        """Clock time at which the (soft) short nucleated, or None."""
        with self._lock:
            self._advance(self.clock.now())
            return self._short_time

    @property
    def short_current_sign(self) -> int:
        """Sign of the current when the short nucleated (-1: plating on the working electrode), 0 if none."""
        with self._lock:
            self._advance(self.clock.now())
            return self._short_sign

    @property
    def current_a(self) -> float:
        return self._current_a

    @property
    def half_cycle_capacity_mAh_cm2(self) -> float:
        with self._lock:
            self._advance(self.clock.now())
            return self._q_half

    @property
    def pore_capacity_mAh_cm2(self) -> tuple[float, float]:
        """Stripped excess capacity (pores) at the working and the counter electrode, mAh/cm2."""
        with self._lock:
            self._advance(self.clock.now())
            return tuple(e.pores_mAh_cm2 for e in self._electrodes)

    @property
    def sodium_mAh_cm2(self) -> tuple[float, float]:
        """Na left in the working and the counter electrode, mAh/cm2 (stripping takes it, plating adds)."""
        with self._lock:
            self._advance(self.clock.now())
            return tuple(e.sodium_mAh_cm2 for e in self._electrodes)

    # --- resistances -------------------------------------------------------------------------
    @staticmethod
    def _arrhenius(ea_ev: float, temperature_c: float) -> float:
        """R(T) / R(25 C) for an activation energy."""
        return math.exp(ea_ev / K_B_EV * (1.0 / (temperature_c + 273.15) - 1.0 / T0_K))

    def _creep(self, temperature_c: float) -> float:
        """Rate of Na creep at a temperature relative to 25 C."""
        return 1.0 / self._arrhenius(self.params.ea_creep_ev, temperature_c)

    def _r_pore_area(self, q: float) -> float:
        p = self.params
        return p.pore_ohm_cm2_per_mAh_cm2 * q * (1.0 + p.pore_quadratic_per_mAh_cm2 * q)

    def _interfaces_area(self, t_c: float) -> tuple[float, tuple[float, float]]:
        """Charge-transfer resistance and each electrode's constriction resistance, Ohm cm2."""
        a = self._arrhenius(self.params.ea_interface_ev, t_c)
        r_c = tuple((self.preset.r_interface_ohm_cm2 * a + self._r_pore_area(e.pores_mAh_cm2)) / self._contact(e)
                    for e in self._electrodes)
        return self.params.r_ct_ohm_cm2 * a, r_c

    def _contact(self, e: _Electrode) -> float:
        """The fraction of an electrode's area still in contact with Na: 1 until its last Na (the last
        ``depletion_fraction`` of what it was assembled with) breaks into islands, then in proportion to what
        is left; 1e-12 when none is left (the current collector alone on the pellet: an open circuit)."""
        p = self.params
        return min(1.0, max(1e-12, e.sodium_mAh_cm2 / (p.depletion_fraction * p.sodium_mAh_cm2)))

    def resistances_ohm(self, temperature_c: float | None = None) -> dict[str, float]:
        """The present equivalent-circuit resistances (Ohm), both interfaces together, and the short's."""
        with self._lock:
            self._advance(self.clock.now())
            t_c = self.stage.temperature_c() if temperature_c is None else temperature_c
            p = self.params
            r_ct, r_c = self._interfaces_area(t_c)
            return {
                "series": p.series_resistance_ohm,
                "bulk": self._r_bulk25 * self._arrhenius(p.ea_bulk_ev, t_c),
                "grain_boundary": self._r_gb25 * self._arrhenius(p.ea_gb_ev, t_c),
                "charge_transfer": 2 * r_ct / self._area,
                "constriction": sum(r_c) / self._area,
                "interface": (2 * r_ct + sum(r_c)) / self._area,
                "short": self._r_filament,
            }

    def dc_resistance_ohm(self) -> float:
        """Z'(f -> 0) of the intact cell now (Ohm): what a small direct current sees."""
        r = self.resistances_ohm()
        return r["series"] + r["bulk"] + r["grain_boundary"] + r["interface"]

    # --- impedance ---------------------------------------------------------------------------
    @staticmethod
    def _rq(r: float, c: float, n: float, jw: np.ndarray) -> np.ndarray:
        """R | CPE with the CPE chosen so that its Brug capacitance is ``c`` (apex 1 / (2 pi R C))."""
        q = (c * r) ** n / r
        return r / (1 + r * q * jw ** n)

    def impedance(self, frequency_hz) -> np.ndarray:
        """Noise-free impedance (Ohm, complex, capacitive imaginary part < 0) at the present state."""
        f = np.atleast_1d(np.asarray(frequency_hz, dtype=float))
        with self._lock:
            self._advance(self.clock.now())
            p = self.params
            t_c = self.stage.temperature_c()
            a = self._area
            jw = 1j * 2 * np.pi * f
            r_gb = self._r_gb25 * self._arrhenius(p.ea_gb_ev, t_c)
            z = self._r_bulk25 * self._arrhenius(p.ea_bulk_ev, t_c) + self._rq(r_gb, self._c_gb, p.n_gb, jw)
            r_ct, r_c = self._interfaces_area(t_c)
            for r_c_k in r_c:
                z = z + self._rq(r_ct / a, p.c_dl_F_cm2 * a, p.n_dl, jw)
                z = z + self._rq(r_c_k / a, self.preset.c_interface_F_cm2 * a, p.n_interface, jw)
            if math.isfinite(self._r_filament):
                z = z * self._r_filament / (z + self._r_filament)
            return p.series_resistance_ohm + jw * p.lead_inductance_h + z

    # --- galvanostatic behaviour -------------------------------------------------------------
    def set_current_a(self, current_a: float) -> None:
        """Apply a current (A) from now on; negative plates Na on the working electrode."""
        with self._lock:
            now = self.clock.now()
            self._advance(now)
            sign = (current_a > 0) - (current_a < 0)
            if sign and sign != self._sign:
                self._q_half = 0.0
                self._sign = sign
                plated = self._electrodes[WORKING if sign < 0 else COUNTER]
                p = self.params
                plated.vulnerable = (plated.voids_mAh_cm2 >= p.void_min_mAh_cm2
                                     or plated.pores_mAh_cm2 >= p.pore_failure_mAh_cm2)
                plated.nucleated_mAh_cm2 = 0.0
            self._current_a = float(current_a)

    def voltage_v(self) -> float:
        """Cell voltage (V) at the present clock time under the present current."""
        with self._lock:
            self._advance(self.clock.now())
            p = self.params
            i = self._current_a
            if i == 0.0:
                return p.rest_noise_v * self.dc_rng.gauss(0.0, 1.0)
            t_c = self.stage.temperature_c()
            a = self._area
            j = abs(i) / a                                   # A/cm2
            rt_f = R_GAS * (t_c + 273.15) / FARADAY
            r_ct, r_c = self._interfaces_area(t_c)
            i0 = rt_f / r_ct                                 # exchange current density, A/cm2
            eta_ct = 2 * (2 * rt_f * math.asinh(j / (2 * i0)))   # Butler-Volmer (alpha 1/2) at both
            r_ohm = (p.series_resistance_ohm + self._r_bulk25 * self._arrhenius(p.ea_bulk_ev, t_c)
                     + self._r_gb25 * self._arrhenius(p.ea_gb_ev, t_c) + sum(r_c) / a)
            v = abs(i) * r_ohm + eta_ct
            if self._short != "none":
                r_cell = v / abs(i)
                r_f = self._r_filament
                if self._short == "soft":   # a thin filament that keeps forming and burning open
                    r_f *= min(2.0, max(0.5, math.exp(p.soft_jitter * self.dc_rng.gauss(0.0, 1.0))))
                v = abs(i) * r_cell * r_f / (r_cell + r_f)
            v += p.dc_noise_v * self.dc_rng.gauss(0.0, 1.0)
            return v if i > 0 else -v

    def _advance(self, t: float) -> None:
        dt = t - self._t
        if dt <= 0:
            return
        t_start = self._t
        self._t = t
        p = self.params
        creep = self._creep(self.stage.temperature_c(t))
        relax = math.exp(-dt * creep / p.pore_relax_s)
        j = abs(self._current_a) / self._area * 1e3          # mA/cm2
        if j == 0.0:
            for e in self._electrodes:
                e.pores_mAh_cm2 *= relax
                e.voids_mAh_cm2 *= relax
            return
        stripped = self._electrodes[WORKING if self._current_a > 0 else COUNTER]
        plated = self._electrodes[COUNTER if self._current_a > 0 else WORKING]
        dq = j * dt / 3600.0
        self._q_half += dq
        stripped.sodium_mAh_cm2 = max(0.0, stripped.sodium_mAh_cm2 - dq)   # no more than it has
        plated.sodium_mAh_cm2 += dq
        if self._short == "none" and plated.vulnerable:
            need = p.nucleation_mAh_cm2 - plated.nucleated_mAh_cm2
            plated.nucleated_mAh_cm2 += dq
            if dq >= need:
                t_event = t_start + max(0.0, need) * 3600.0 / j
                self._nucleate(t_event)
                self._soft_flow_s = t - t_event
        elif self._short == "soft":
            self._soft_flow_s += dt
        if self._short == "soft" and self._soft_flow_s >= p.soft_to_hard_s:
            self._short = "hard"
            self._r_filament = self._r_hard_short
        # the stripped electrode: pores above the onset, voids at or above the CCD
        excess = j - stripped.onset_mA_cm2 * creep
        if excess > 0:
            stripped.pores_mAh_cm2 += excess * dt / 3600.0
        else:
            stripped.pores_mAh_cm2 *= relax
        if j >= stripped.ccd_mA_cm2 * creep:
            stripped.voids_mAh_cm2 += dq
        # the plated electrode: Na fills its pores and voids
        plated.pores_mAh_cm2 = max(0.0, plated.pores_mAh_cm2 - dq)
        plated.voids_mAh_cm2 = max(0.0, plated.voids_mAh_cm2 - dq)

    def force_short(self, state: str = "soft") -> None:
        """Make this cell shorted now, as a cell that shorted before would be: ``"soft"`` (the thin
        filament a short detected at once leaves: the current was cut before it thickened) or ``"hard"``.
        A cell shorted already keeps its filament unless a hard short is asked of a soft one; the short
        is put on a plating half-cycle of the working electrode, where this model's shorts come."""
        if state not in ("soft", "hard"):
            raise ValueError(f"a short is 'soft' or 'hard', got {state!r}")
        with self._lock:
            now = self.clock.now()
            self._advance(now)
            if self._short == "none":
                self._nucleate(now)
                self._short_sign = -1   # as if it nucleated while plating the working electrode
            if state == "hard" and self._short != "hard":
                self._short = "hard"
                self._r_filament = self._r_hard_short

    def _nucleate(self, t_event: float) -> None:
        """A filament bridges the pellet: a thin one first, a fraction of the cell's own resistance."""
        self._short, self._short_time = "soft", t_event
        self._short_sign = (self._current_a > 0) - (self._current_a < 0)
        p = self.params
        t_c = self.stage.temperature_c()
        r_ct, r_c = self._interfaces_area(t_c)
        r_cell = (p.series_resistance_ohm + self._r_bulk25 * self._arrhenius(p.ea_bulk_ev, t_c)
                  + self._r_gb25 * self._arrhenius(p.ea_gb_ev, t_c) + (2 * r_ct + sum(r_c)) / self._area)
        self._r_filament = self._soft_fraction * r_cell
