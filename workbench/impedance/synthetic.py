"""Synthetic Na|NZSP|Na spectra with the geometry and arcs of the NZSP surfaces paper.

The cell: pellet 1.70 mm thick, Na electrodes 8.5 mm in diameter (0.5675 cm2),
bulk conductivity 15 mS/cm (R0 ~ 20 Ohm), total 5 mS/cm (R0 + R1 ~ 60 Ohm),
grain-boundary arc with Brug C 3-5e-9 F (apex near 1 MHz), interface arc with
Brug C ~7e-7 F and an area-specific resistance of 0.1 to 9000 Ohm cm2 (for a
symmetric cell R_int = 2 R_area / area, i.e. 0.35 Ohm to 32 kOhm).

Noise model of :func:`noisy_spectrum`: Z + noise |Z| (e1 + j e2) with e1, e2
independent standard normal, i.e. ``noise`` is the relative standard deviation
of each of the real and imaginary parts.
"""

from __future__ import annotations

import numpy as np

from .circuits import Circuit
from .derived import electrode_area_cm2, q_from_brug_capacitance

PAPER_CIRCUIT = "R0-L0-p(R1,CPE1)-p(R2,CPE2)"
PAPER_CIRCUIT_ONE_ARC = "R0-L0-p(R1,CPE1)"
PELLET_THICKNESS_CM = 0.170
ELECTRODE_DIAMETER_MM = 8.5
BULK_CONDUCTIVITY_S_CM = 0.015
TOTAL_CONDUCTIVITY_S_CM = 0.005


def log_frequencies(f_max_hz: float = 13e6, f_min_hz: float = 5.0, points_per_decade: int = 20) -> np.ndarray:
    """Log-spaced frequencies from f_max_hz down to f_min_hz (inclusive), as a sweep is measured."""
    decades = np.log10(f_max_hz / f_min_hz)
    n = int(round(decades * points_per_decade)) + 1
    return np.logspace(np.log10(f_max_hz), np.log10(f_min_hz), n)


def paper_cell_parameters(
    r_interface_ohm_cm2: float | None = 24.2,
    *,
    c_gb_f: float = 4e-9,
    n_gb: float = 0.9,
    c_interface_f: float = 6.99e-7,
    n_interface: float = 0.9,
    inductance_h: float = 5e-8,
    thickness_cm: float = PELLET_THICKNESS_CM,
    area_cm2: float | None = None,
    bulk_conductivity_s_cm: float = BULK_CONDUCTIVITY_S_CM,
    total_conductivity_s_cm: float = TOTAL_CONDUCTIVITY_S_CM,
) -> dict[str, float]:
    """Parameters of PAPER_CIRCUIT (or PAPER_CIRCUIT_ONE_ARC if r_interface_ohm_cm2 is None).

    Resistances from R = thickness / (sigma area); CPE Q from the Brug capacitance.
    """
    area = electrode_area_cm2(ELECTRODE_DIAMETER_MM) if area_cm2 is None else area_cm2
    r_bulk = thickness_cm / (bulk_conductivity_s_cm * area)
    r_gb = thickness_cm / (total_conductivity_s_cm * area) - r_bulk
    params = {
        "R0": r_bulk,
        "L0": inductance_h,
        "R1": r_gb,
        "CPE1_0": q_from_brug_capacitance(c_gb_f, r_gb, n_gb),
        "CPE1_1": n_gb,
    }
    if r_interface_ohm_cm2 is not None:
        r_int = 2.0 * r_interface_ohm_cm2 / area
        params.update({
            "R2": r_int,
            "CPE2_0": q_from_brug_capacitance(c_interface_f, r_int, n_interface),
            "CPE2_1": n_interface,
        })
    return params


def paper_cell_population(n_cells: int, seed: int = 2024) -> list[dict[str, float]]:
    """Randomised paper cells: interface resistance log-spread over 0.1-9000 Ohm cm2.

    Per cell: R_bulk and R_gb within +-5 % of the paper's conductivities, C_gb in
    3-5e-9 F, n_gb in 0.85-0.95, C_int 7e-7 F +-20 %, n_int in 0.8-0.95, L in
    2e-8 to 1e-7 H.
    """
    rng = np.random.default_rng(seed)
    r_area = np.logspace(np.log10(0.1), np.log10(9000.0), n_cells)
    rng.shuffle(r_area)
    cells = []
    for r in r_area:
        cells.append(paper_cell_parameters(
            float(r),
            c_gb_f=rng.uniform(3e-9, 5e-9),
            n_gb=rng.uniform(0.85, 0.95),
            c_interface_f=7e-7 * rng.uniform(0.8, 1.2),
            n_interface=rng.uniform(0.8, 0.95),
            inductance_h=10 ** rng.uniform(np.log10(2e-8), -7.0),
            bulk_conductivity_s_cm=BULK_CONDUCTIVITY_S_CM * rng.uniform(0.95, 1.05),
            total_conductivity_s_cm=TOTAL_CONDUCTIVITY_S_CM * rng.uniform(0.95, 1.05),
        ))
    return cells


def noisy_spectrum(
    params,
    frequency_hz,
    noise: float = 0.005,
    rng: np.random.Generator | int | None = None,
    circuit: Circuit | str | None = None,
) -> np.ndarray:
    """Circuit impedance plus complex Gaussian noise with per-part sigma = noise |Z|."""
    if circuit is None:
        circuit = PAPER_CIRCUIT if "R2" in params else PAPER_CIRCUIT_ONE_ARC
    circuit = circuit if isinstance(circuit, Circuit) else Circuit(circuit)
    rng = np.random.default_rng(rng)
    z = circuit.impedance(frequency_hz, params)
    scale = noise * np.abs(z)
    return z + scale * (rng.standard_normal(z.shape) + 1j * rng.standard_normal(z.shape))
