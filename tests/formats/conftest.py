"""Shared helpers for the impedance file-format tests.

The sample files in ``data/`` were written from one equivalent circuit, R0 + (R1 || C), so every
reader can be checked against the same exact values.
"""

from pathlib import Path

import pytest
from sample_model import FREQUENCIES_HZ, model_impedance_ohm

DATA = Path(__file__).parent / "data"
__all__ = ["DATA", "FREQUENCIES_HZ", "SAMPLES", "model_impedance_ohm"]


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
