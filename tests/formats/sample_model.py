"""The equivalent circuit every impedance sample file was written from, R0 + (R1 || C)."""

import numpy as np

FREQUENCIES_HZ = np.array([1e5, 1e4, 1e3, 1e2, 10.0, 1.0])


def model_impedance_ohm(frequency_hz, r0_ohm=12.0, r1_ohm=850.0, c_farad=2e-8):
    """Z of R0 in series with R1 parallel to C; Z'' is negative (capacitive)."""
    return r0_ohm + r1_ohm / (1 + 2j * np.pi * np.asarray(frequency_hz) * r1_ohm * c_farad)


# The cycling run every cycling sample file was written from: rest, charge, discharge, rest.
CYCLING_TIME_S = np.array([0.0, 10.0, 20.0, 30.0, 40.0, 50.0])
CYCLING_VOLTAGE_V = np.array([0.0012, 0.0153, 0.0161, -0.0149, -0.0158, -0.0011])
CYCLING_CURRENT_A = np.array([0.0, 5e-4, 5e-4, -5e-4, -5e-4, 0.0])
CYCLING_CYCLE = np.array([1, 1, 1, 1, 1, 2])
CYCLING_STEP = np.array([1, 2, 2, 3, 3, 4])
