"""Shared helpers for the impedance file-format tests.

The sample files in ``data/`` were written from one equivalent circuit, R0 + (R1 || C), so every
reader can be checked against the same exact values.
"""

from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).parent / "data"
FREQUENCIES_HZ = np.array([1e5, 1e4, 1e3, 1e2, 10.0, 1.0])


def model_impedance_ohm(frequency_hz, r0_ohm=12.0, r1_ohm=850.0, c_farad=2e-8):
    """Z of R0 in series with R1 parallel to C; Z'' is negative (capacitive)."""
    return r0_ohm + r1_ohm / (1 + 2j * np.pi * np.asarray(frequency_hz) * r1_ohm * c_farad)


@pytest.fixture
def expected_z():
    return model_impedance_ohm(FREQUENCIES_HZ)


SAMPLES = {
    "eclab_peis.mpt": "biologic",
    "eclab_peis_eu.mpt": "biologic",
    "eclab_noheader.mpt": "biologic",
    "gamry_eispot.DTA": "gamry",
    "zplot_sweep.z": "zview",
    "zplot_comma.z": "zview",
    "z60w_export.txt": "zview",
    "nova_export.txt": "autolab",
    "nova_tab.txt": "autolab",
    "plain_negated.csv": "csv",
    "plain_ambiguous.csv": "csv",
    "chi_impedance.txt": "chi",
    "parstat_export.txt": "csv",
    "eclab_sweeps_rest.mpt": "biologic",
    "eclab_peis_sweeps.mpr": "biologic-mpr",
    "eclab_geis.mpr": "biologic-mpr",
    "versastudio.par": "versastudio",
}
