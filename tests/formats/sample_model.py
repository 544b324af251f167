"""The equivalent circuit every impedance sample file was written from, R0 + (R1 || C)."""

import numpy as np

FREQUENCIES_HZ = np.array([1e5, 1e4, 1e3, 1e2, 10.0, 1.0])


def model_impedance_ohm(frequency_hz, r0_ohm=12.0, r1_ohm=850.0, c_farad=2e-8):
    """Z of R0 in series with R1 parallel to C; Z'' is negative (capacitive)."""
    return r0_ohm + r1_ohm / (1 + 2j * np.pi * np.asarray(frequency_hz) * r1_ohm * c_farad)
