"""The emulated Na|NZSP|Na symmetric cell: the one physical model behind every emulated instrument.

Geometry and 25 C values follow Querel et al., "Chemical tuning of NaSICON surfaces for fast-charging
Na metal solid-state batteries" (the seed paper): pellet 1.70 mm thick, Na electrodes 8.5 mm across,
bulk conductivity 15 mS/cm and total 5 mS/cm (Ma et al., J. Mater. Chem. A 7 (2019) 7766), a grain-boundary
arc with its apex near 1 MHz (C_GB 3-5e-9 F), an interface arc with C_int about 7e-7 F and an
area-specific interface resistance per surface state (symmetric-cell convention R_area = R * area / 2).

Impedance (vectorised)::

    Z = R_series + j w L + R_bulk + (R_gb | CPE_gb) + (R_int | CPE_int),    then  Z_pellet | R_short

Under a galvanostatic current the voltage is the ohmic drop plus two symmetric Butler-Volmer
overpotentials (i0 = RT / (F R_int_area)) plus a pore constriction resistance that grows at the
stripping electrode when the current density exceeds the rate at which Na creep refills the interface
(more visible from ~4 mA/cm2 on for thermally activated surfaces); plating refills the pores of the
other electrode, so the voltage rises within each half-cycle (a sawtooth), and a long stripping at high
current leaves an electrode so pitted that the next plating onto it shorts the cell. Past the critical current density
(CCD) the cell soft-shorts (sudden drop of |V|, erratic voltage), then hard-shorts (0.1-1 Ohm).

Temperature dependence is Arrhenius, R(T) = R(25 C) exp(Ea/k (1/T - 1/T0)). Activation energies: the
NaSICON literature gives ~0.2-0.3 eV for the bulk and ~0.3-0.4 eV for grain boundaries of NZSP
(Ma et al. 2019, J. Mater. Chem. A 7, 7766); the Na|NZSP interface value is not given in the seed
paper and 0.40 eV is an assumption of this model.

The state (pores, charge passed, short) is integrated exactly, piecewise in clock time, so a reading
at clock time t gives the cell at t however often it is sampled.
"""

from __future__ import annotations

import math
import random
import threading
from dataclasses import dataclass

import numpy as np

from instruments.clock import Clock, ManualClock
from instruments.emulation.stage import ThermalStage

K_B_EV = 8.617333262e-5      # Boltzmann constant, eV/K
FARADAY = 96485.33212        # C/mol
R_GAS = 8.314462618          # J/(mol K)
T0_K = 298.15

#: charge (mAh/cm2) passed at or above the CCD before the soft short nucleates: a little more than one
#: 0.25 mAh/cm2 half-cycle, so a CCD step shorts early in its second half-cycle ("on the next plating
#: cycle", as in the paper's Supplementary Fig. 16).
Q_SHORT_TRIGGER_MAH_CM2 = 0.30
#: seconds of current flow between the soft and the hard short
SOFT_TO_HARD_S = 20.0
#: stripping excess (mAh/cm2) after which the next plating on that electrode fails (the paper's 0.5 h
#: stripping at 10 mA/cm2 followed by failure on the next plating cycle)
Q_PORE_FAILURE_MAH_CM2 = 2.5
#: relaxation time of pores at rest or under slow stripping (Na creep), s
PORE_RELAX_S = 1800.0


@dataclass(frozen=True)
class SurfacePreset:
    """What the surface processing of the pellet gives the cell."""

    name: str
    r_interface_ohm_cm2: float     # per interface, 25 C, symmetric-cell convention
    ccd_mA_cm2: float              # critical current density (nominal, before cell-to-cell scatter)
    pore_onset_mA_cm2: float       # stripping rate above which pores grow
    thermally_activated: bool


def _preset(name, r, ccd, onset, activated):
    return SurfacePreset(name, r, ccd, onset, activated)


#: The paper's surface states. Values marked "assumed" are not given numerically in the paper.
PRESETS: dict[str, SurfacePreset] = {p.name: p for p in (
    _preset("as sintered", 0.2, 10.0, 3.0, True),
    _preset("EtOH500", 24.2, 1.5, 0.6, False),        # CCD ~1-2 mA/cm2: assumed, not measured in the paper
    _preset("dry500", 22.1, 1.5, 0.6, False),         # idem
    _preset("EtOH500-anneal", 0.1, 10.0, 3.0, True),
    _preset("EtOH4000", 6000.0, 0.3, 0.1, False),     # paper: 4-9 kOhm cm2; 6000 assumed within it
    _preset("dry4000", 8000.0, 0.3, 0.1, False),      # idem, 8000 assumed
    _preset("EtOH4000-anneal", 0.5, 10.0, 3.0, True),  # paper: below 1 Ohm cm2; 0.5 assumed
    _preset("dry4000-anneal", 0.6, 10.0, 3.0, True),   # idem
    _preset("dry500-anneal", 0.3, 10.0, 3.0, True),    # idem
)}


def _interpolated(solvent: str, grit: int, suffix: str) -> SurfacePreset:
    """A grit between the paper's 500 and 4000 (1200, 2400): log-linear in the grit size (assumed)."""
    low, high = PRESETS[f"{solvent}500{suffix}"], PRESETS[f"{solvent}4000{suffix}"]
    x = math.log(grit / 500) / math.log(4000 / 500)

    def between(a: float, b: float) -> float:
        return math.exp(math.log(a) + x * (math.log(b) - math.log(a)))

    return SurfacePreset(f"{solvent}{grit}{suffix}", between(low.r_interface_ohm_cm2, high.r_interface_ohm_cm2),
                         between(low.ccd_mA_cm2, high.ccd_mA_cm2),
                         between(low.pore_onset_mA_cm2, high.pore_onset_mA_cm2), low.thermally_activated)


for _solvent in ("EtOH", "dry"):
    for _grit in (1200, 2400):
        for _suffix in ("", "-anneal"):
            _p = _interpolated(_solvent, _grit, _suffix)
            PRESETS[_p.name] = _p


def find_preset(name: str) -> SurfacePreset:
    """The preset for a surface state name (case, '_' and '-' spacing forgiven)."""
    key = name.strip().lower().replace("_", " ")
    for preset in PRESETS.values():
        if preset.name.lower() == key:
            return preset
    raise ValueError(f"unknown surface state {name!r}; expected one of {sorted(PRESETS)}")


@dataclass(frozen=True)
class CellParameters:
    """Geometry and material constants (25 C unless stated)."""

    thickness_cm: float = 0.170
    electrode_diameter_cm: float = 0.85
    bulk_conductivity_S_cm: float = 15e-3
    total_conductivity_S_cm: float = 5e-3
    ea_bulk_ev: float = 0.25
    ea_gb_ev: float = 0.35
    ea_interface_ev: float = 0.40            # assumed (see module docstring)
    gb_apex_hz: float = 1.0e6
    n_gb: float = 0.90
    c_interface_f: float = 7.0e-7            # paper: 6.99e-7 F
    n_interface: float = 0.88
    lead_inductance_h: float = 1.0e-7
    series_resistance_ohm: float = 0.5       # analyser leads and contacts
    ccd_scatter: float = 0.03                # relative cell-to-cell scatter of the CCD
    hard_short_ohm: tuple[float, float] = (0.1, 1.0)
    pore_ohm_cm2_per_mAh_cm2: float = 25.0   # constriction resistance per stripped excess capacity
    pore_quadratic_per_mAh_cm2: float = 1.3  # ... growing faster as pores coalesce


class CellModel:
    """One Na|NZSP|Na cell on a temperature stage, evolving with clock time."""

    def __init__(self, surface_state: str = "as sintered", *, clock: Clock | None = None,
                 seed: int | None = None, params: CellParameters | None = None,
                 stage: ThermalStage | None = None, name: str | None = None):
        self.preset = find_preset(surface_state)
        self.params = params or CellParameters()
        #: the sample this cell is registered under on a bench (None: the bench's initial cell)
        self.name = name
        self.clock = clock if clock is not None else ManualClock()
        self.stage = stage if stage is not None else ThermalStage(self.clock)
        self.seed = seed
        seeds = np.random.SeedSequence(seed)
        scatter_rng, fra_seq, dc_seq = (np.random.default_rng(s) for s in seeds.spawn(3))
        p = self.params
        self._ccd = self.preset.ccd_mA_cm2 * (1.0 + p.ccd_scatter * float(scatter_rng.standard_normal()))
        self._r_hard_short = float(scatter_rng.uniform(*p.hard_short_ohm))
        #: random streams for the instruments measuring this cell (seeded with the cell)
        self.fra_rng = fra_seq
        self.dc_rng = random.Random(int(dc_seq.integers(2**62)))
        self._area = math.pi * (p.electrode_diameter_cm / 2) ** 2
        # 25 C resistances (ohm)
        self._r_bulk25 = p.thickness_cm / (p.bulk_conductivity_S_cm * self._area)
        self._r_gb25 = p.thickness_cm / (p.total_conductivity_S_cm * self._area) - self._r_bulk25
        self._c_gb = 1.0 / (2 * math.pi * p.gb_apex_hz * self._r_gb25)
        # evolving state
        self._lock = threading.RLock()
        self._t = self.clock.now()
        self._current_a = 0.0
        self._q_ex = [0.0, 0.0]          # stripped excess (pores), mAh/cm2: [working, counter]
        self._q_over = 0.0               # charge passed at or above the CCD, mAh/cm2
        self._q_half = 0.0               # capacity of the present half-cycle, mAh/cm2
        self._sign = 0
        self._fail_at: float | None = None
        self._short = "none"             # none | soft | hard
        self._short_time: float | None = None
        self._soft_flow_s = 0.0

    # --- read-only facts ---------------------------------------------------------------------
    def describe(self) -> str:
        """One line naming this cell: "emulated cell NZSP-01: EtOH500, 1.70 mm, 8.5 mm electrodes"."""
        who = f"emulated cell {self.name}" if self.name else "emulated cell"
        text = (f"{who}: {self.surface_state}, {10 * self.params.thickness_cm:.2f} mm, "
                f"{10 * self.params.electrode_diameter_cm:.1f} mm electrodes")
        state = self.short_state
        return text + (f", {state}-shorted" if state != "none" else "")

    @property
    def electrode_diameter_cm(self) -> float:
        return self.params.electrode_diameter_cm

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
    def critical_current_density_mA_cm2(self) -> float:
        """This cell's CCD (the preset's value with its cell-to-cell scatter)."""
        return self._ccd

    @property
    def r_interface_ohm_cm2(self) -> float:
        """The interface resistance as prepared (per interface, 25 C, no pores), ohm cm2."""
        return self.preset.r_interface_ohm_cm2

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
        self.short_state  # noqa: B018 - advance first
        return self._short_time

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
            return tuple(self._q_ex)

    # --- resistances -------------------------------------------------------------------------
    def _arrhenius(self, ea_ev: float, temperature_c: float) -> float:
        return math.exp(ea_ev / K_B_EV * (1.0 / (temperature_c + 273.15) - 1.0 / T0_K))

    def _r_pore_area(self, q: float) -> float:
        p = self.params
        return p.pore_ohm_cm2_per_mAh_cm2 * q * (1.0 + p.pore_quadratic_per_mAh_cm2 * q)

    def resistances_ohm(self, temperature_c: float | None = None) -> dict[str, float]:
        """The present equivalent-circuit resistances (ohm) and the short's (inf when intact)."""
        with self._lock:
            self._advance(self.clock.now())
            t_c = self.stage.temperature_c() if temperature_c is None else temperature_c
            p = self.params
            r_int_area = self.preset.r_interface_ohm_cm2 * self._arrhenius(p.ea_interface_ev, t_c)
            r_int = (2 * r_int_area + self._r_pore_area(self._q_ex[0]) + self._r_pore_area(self._q_ex[1])) / self._area
            return {
                "series": p.series_resistance_ohm,
                "bulk": self._r_bulk25 * self._arrhenius(p.ea_bulk_ev, t_c),
                "grain_boundary": self._r_gb25 * self._arrhenius(p.ea_gb_ev, t_c),
                "interface": r_int,
                "short": self._short_resistance(),
            }

    def _short_resistance(self) -> float:
        if self._short == "hard":
            return self._r_hard_short
        if self._short == "soft":
            return self._soft_short_resistance()
        return math.inf

    def _soft_short_resistance(self, r_cell_ohm: float | None = None) -> float:
        """A filament that forms and burns: 0.3-1.2 times the cell's own resistance, erratic."""
        if r_cell_ohm is None:
            r_cell_ohm = self._r_bulk25 + self._r_gb25 + 2 * self.preset.r_interface_ohm_cm2 / self._area
        factor = min(2.0, max(0.5, math.exp(0.35 * self.dc_rng.gauss(0.0, 1.0))))
        return 0.6 * r_cell_ohm * factor

    # --- impedance ---------------------------------------------------------------------------
    def impedance(self, frequency_hz) -> np.ndarray:
        """Noise-free impedance (ohm, complex, capacitive imaginary part < 0) at the present state."""
        f = np.atleast_1d(np.asarray(frequency_hz, dtype=float))
        r = self.resistances_ohm()
        p = self.params
        jw = 1j * 2 * np.pi * f
        c_int = p.c_interface_f
        q_gb = (self._c_gb * r["grain_boundary"]) ** p.n_gb / r["grain_boundary"]
        q_int = (c_int * r["interface"]) ** p.n_interface / r["interface"]
        z_gb = r["grain_boundary"] / (1 + r["grain_boundary"] * q_gb * jw ** p.n_gb)
        z_int = r["interface"] / (1 + r["interface"] * q_int * jw ** p.n_interface)
        z_pellet = r["bulk"] + z_gb + z_int
        if math.isfinite(r["short"]):
            z_pellet = z_pellet * r["short"] / (z_pellet + r["short"])
        return p.series_resistance_ohm + jw * p.lead_inductance_h + z_pellet

    # --- galvanostatic behaviour -------------------------------------------------------------
    def set_current_a(self, current_a: float) -> None:
        """Apply a current (A) from now on; positive plates on the working electrode."""
        with self._lock:
            now = self.clock.now()
            self._advance(now)
            sign = (current_a > 0) - (current_a < 0)
            if sign and sign != self._sign:
                self._q_half = 0.0
                plate = 0 if sign > 0 else 1
                if self._short == "none" and self._q_ex[plate] >= Q_PORE_FAILURE_MAH_CM2:
                    self._fail_at = now + 5.0
                self._sign = sign
            self._current_a = float(current_a)

    def voltage_v(self) -> float:
        """Cell voltage (V) at the present clock time under the present current."""
        with self._lock:
            self._advance(self.clock.now())
            i = self._current_a
            if i == 0.0:
                return 1e-5 * self.dc_rng.gauss(0.0, 1.0)
            p = self.params
            t_c = self.stage.temperature_c()
            a = self._area
            j = abs(i) / a                                   # A/cm2
            rt_f = R_GAS * (t_c + 273.15) / FARADAY
            r_int_area = self.preset.r_interface_ohm_cm2 * self._arrhenius(p.ea_interface_ev, t_c)
            i0 = rt_f / r_int_area                           # exchange current density, A/cm2
            eta = 2 * (2 * rt_f * math.asinh(j / (2 * i0)))  # two symmetric interfaces
            r_ohm = (self._r_bulk25 * self._arrhenius(p.ea_bulk_ev, t_c)
                     + self._r_gb25 * self._arrhenius(p.ea_gb_ev, t_c)
                     # constriction at the stripping electrode; at the plating one Na grows into the pores
                     + self._r_pore_area(self._q_ex[1 if i > 0 else 0]) / a)
            v = abs(i) * r_ohm + eta
            if self._short != "none":
                r_eff = v / abs(i)
                r_sh = self._r_hard_short if self._short == "hard" else self._soft_short_resistance(r_eff)
                v = abs(i) * r_eff * r_sh / (r_eff + r_sh)
            v += 2e-5 * self.dc_rng.gauss(0.0, 1.0)
            return v if i > 0 else -v

    def _advance(self, t: float) -> None:
        dt = t - self._t
        if dt <= 0:
            return
        t_start = self._t
        self._t = t
        j = abs(self._current_a) / self._area * 1e3          # mA/cm2
        if j == 0.0:
            decay = math.exp(-dt / PORE_RELAX_S)
            self._q_ex = [q * decay for q in self._q_ex]
            return
        strip = 1 if self._current_a > 0 else 0
        plate = 1 - strip
        dq = j * dt / 3600.0
        self._q_half += dq
        # short nucleation: charge at or above the CCD, or plating onto a badly pitted electrode
        if self._short == "none":
            t_event = None
            if j >= self._ccd:
                need = Q_SHORT_TRIGGER_MAH_CM2 - self._q_over
                if dq >= need:
                    t_event = t_start + max(0.0, need) * 3600.0 / j
                self._q_over += dq
            if self._fail_at is not None and self._fail_at <= t:
                t_fail = max(self._fail_at, t_start)
                t_event = t_fail if t_event is None else min(t_event, t_fail)
            if t_event is not None:
                self._short, self._short_time = "soft", t_event
                self._soft_flow_s = t - t_event
        elif self._short == "soft":
            self._soft_flow_s += dt
        if self._short == "soft" and self._soft_flow_s >= SOFT_TO_HARD_S:
            self._short = "hard"
        # pores: grow at the stripping electrode above the onset, refill at the plating electrode
        excess = j - self.preset.pore_onset_mA_cm2
        if excess > 0:
            self._q_ex[strip] += excess * dt / 3600.0
        else:
            self._q_ex[strip] *= math.exp(-dt / PORE_RELAX_S)
        self._q_ex[plate] = max(0.0, self._q_ex[plate] - dq)
