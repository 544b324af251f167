"""Shared helpers for the impedance file-format tests.

The sample files in ``data/`` were written from one equivalent circuit, R0 + (R1 || C), so every
reader can be checked against the same exact values.
"""

from pathlib import Path

import pytest
from sample_model import FREQUENCIES_HZ, model_impedance_ohm

DATA = Path(__file__).parent / "data"
__all__ = ["CYCLING_SAMPLES", "DATA", "FREQUENCIES_HZ", "SAMPLES", "model_impedance_ohm"]


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

# cycling sample files, all written from sample_model's CYCLING_* run
# file: (format, time offset / s, EC-Lab Ns counts steps from 0, current as magnitude, current source)
CYCLING_SAMPLES = {
    "eclab_gcpl_eu.mpt": ("eclab", 0.0, True, False, "measured"),
    "eclab_cp.mpt": ("eclab", 1234.5, True, False, "measured"),
    "eclab_mb_setpoint.mpt": ("eclab", 0.0, True, False, "set-point"),
    "eclab_gcpl_setpoint.mpr": ("eclab-mpr", 0.0, True, False, "set-point"),
    "eclab_cp.mpr": ("eclab-mpr", 1234.5, True, False, "measured"),
    "maccor_export.txt": ("maccor", 0.0, False, True, "measured"),
    "maccor_seconds.txt": ("maccor", 0.0, False, True, "measured"),
    "neware_quoted.csv": ("neware", 90000.0, False, False, "measured"),
    "neware_eu.csv": ("neware", 0.0, False, False, "measured"),
    "arbin_export.csv": ("arbin", 0.0, False, False, "measured"),
}
