"""A plain script on the default bench: sweep 13 MHz - 5 Hz, cycle at rising current until the cell
shorts, ramp the stage -- only the role drivers, through pyvisa, against the emulated twins."""

from __future__ import annotations

import numpy as np

from instruments.bench import Bench
from instruments.clock import ManualClock


def sweep(fra, f_start_hz=13e6, f_stop_hz=5.0, points_per_decade=20):
    n = int(round(points_per_decade * np.log10(f_start_hz / f_stop_hz))) + 1
    spectrum = []
    for f in np.logspace(np.log10(f_start_hz), np.log10(f_stop_hz), n):
        # the paper's sub-ranges, cycles converted to seconds at each frequency
        integration_s, delay_s = (2.0, 10 / f) if f > 5e5 else (1.0, 5 / f) if f > 500 else (30 / f, 3 / f)
        fra.configure(amplitude_v=0.05, integration_s=integration_s, delay_s=delay_s)
        spectrum.append(fra.measure(f))
    return spectrum


def cycle_until_short(bench, step_mA_cm2=0.5, capacity_mAh_cm2=0.25, read_every_s=5.0):
    """Return (density at which the voltage collapsed, readings) -- the script judges from the voltage only."""
    cycler, area = bench.galvanostat, bench.cell.area_cm2
    cycler.set_compliance_v(10)
    cycler.set_current_a(0.0)
    cycler.output_on()
    readings = []
    j = 0.0
    try:
        while j < 15:
            j += step_mA_cm2
            for sign in (1, -1, 1, -1):
                cycler.set_current_a(sign * j * area / 1000)
                t_end = bench.clock.now() + capacity_mAh_cm2 / j * 3600
                first = None
                while bench.clock.now() < t_end:
                    bench.clock.sleep(read_every_s)
                    reading = cycler.read()
                    readings.append((j, reading))
                    resistance = reading.voltage_v / reading.current_a
                    first = resistance if first is None else first
                    if resistance < 0.5 * first or resistance < 2.0:
                        return j, readings
        return None, readings
    finally:
        cycler.safe_state()


def test_script_on_the_default_bench():
    bench = Bench.from_config(clock=ManualClock())
    try:
        before = sweep(bench.fra)
        assert len(before) == 129 and before[-1].z_real_ohm > 55

        shorted_at, readings = cycle_until_short(bench)
        assert shorted_at is not None
        assert shorted_at >= bench.cell.critical_current_density_mA_cm2 > shorted_at - 0.5
        assert bench.cell.shorted
        after = sweep(bench.fra)
        # stopped at the soft short: the filament shunts the pellet (0.23-0.55 of it, erratic)
        assert abs(complex(after[-1].z_real_ohm, after[-1].z_imag_ohm)) < 0.6 * before[-1].z_real_ohm

        bench.stage.set_setpoint_c(80.0, 10.0)
        temperatures = []
        for _ in range(60):
            bench.clock.sleep(10)
            temperatures.append(bench.stage.read_temperature_c())
        assert temperatures[-1] > 75 and all(np.diff(temperatures) >= -0.05)
        bench.stage.hold()
        bench.stage.stop()
    finally:
        bench.close()
