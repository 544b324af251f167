"""Each short criterion fires on its signature and not on healthy cycling."""

import numpy as np
import pytest

from workbench.events import DataPoint
from workbench.safety import ShortCriteria, ShortDetector

CURRENT_A = 5.7e-3  # 10 mA/cm2 on the paper's electrodes


def points(voltages_by_half_cycle, current_a=CURRENT_A):
    seq = 0
    for hc, voltages in enumerate(voltages_by_half_cycle):
        sign = -1 if hc % 2 == 0 else 1
        for v in voltages:
            yield DataPoint(
                "cycling",
                float(seq),
                {
                    "voltage_v": sign * v,
                    "current_a": sign * current_a,
                    "current_density_mA_cm2": sign * 10.0,
                    "half_cycle": hc,
                    "step": hc // 2,
                },
                seq=seq,
            )
            seq += 1


def first_detection(voltages_by_half_cycle, criteria=None, **kwargs):
    detector = ShortDetector(criteria)
    for p in points(voltages_by_half_cycle, **kwargs):
        event = detector.feed(p)
        if event is not None:
            return event, p
    return None, None


def healthy(n=90, v0=0.35, rise=0.15, noise=2e-5, seed=0):
    """Pore growth: a slow rise of |V| through the half-cycle, measurement noise on top."""
    rng = np.random.default_rng(seed)
    return list(v0 + rise * np.linspace(0, 1, n) ** 2 + rng.normal(0, noise, n))


def test_healthy_cycling_with_pore_growth_is_not_a_short():
    event, _ = first_detection([healthy(seed=k, rise=0.05 * k) for k in range(8)])
    assert event is None


def test_hard_short_within_a_half_cycle():
    v = healthy()
    v[50:] = [0.003] * 40  # 0.5 ohm filament
    event, point = first_detection([healthy(), v])
    assert event.criterion == "hard_short" and event.shorted
    assert point.seq == 90 + 50  # the very sample where it happened
    assert event.half_cycle == 1 and event.current_density_mA_cm2 == pytest.approx(10.0)
    assert len(event.window) > 10 and event.window[-1]["seq"] == point.seq


def test_hard_short_between_half_cycles_is_caught_on_the_first_sample():
    event, point = first_detection([healthy(), [0.004] * 20])
    assert event.criterion == "hard_short" and point.seq == 90


def test_soft_short_sudden_partial_drop():
    v = healthy()
    v[60:] = [x * 0.5 for x in v[60:]]  # half the voltage: a thin filament in parallel
    event, point = first_detection([v])
    assert event.criterion == "soft_short" and point.seq == 60


def test_slow_decline_is_not_a_soft_short():
    v = list(np.linspace(0.5, 0.3, 90))  # 40 % over 90 samples: the interface healing, not a filament
    assert first_detection([v])[0] is None


def test_erratic_voltage():
    rng = np.random.default_rng(3)
    v = healthy()
    v[40:] = list(0.4 + 0.08 * np.array([(-1) ** k for k in range(50)]) + rng.normal(0, 1e-3, 50))
    criteria = ShortCriteria(soft_short_drop_fraction=0.9)  # leave only the erratic criterion able to fire
    event, point = first_detection([v], criteria)
    assert event.criterion == "erratic_voltage"
    assert 40 < point.seq <= 40 + criteria.erratic_window_samples


def test_noise_on_a_small_voltage_is_not_erratic():
    rng = np.random.default_rng(4)
    v = list(0.017 + rng.normal(0, 2e-5, 200))  # 0.5 mA/cm2 on a 60 ohm cell
    assert first_detection([v], current_a=2.8e-4)[0] is None


def test_upper_voltage_limit_is_contact_loss_not_a_short():
    v = healthy()
    v[70:] = list(np.linspace(2.0, 12.0, 20))
    event, _ = first_detection([v])
    assert event.criterion == "upper_voltage_limit" and not event.shorted


def test_rest_samples_are_not_judged():
    detector = ShortDetector()
    for p in points([healthy()]):
        detector.feed(p)
    rest = DataPoint(
        "cycling",
        100.0,
        {"voltage_v": 1e-5, "current_a": 0.0, "current_density_mA_cm2": 0.0, "half_cycle": 0, "step": 0},
    )
    assert detector.feed(rest) is None


def test_thresholds_are_tunable():
    v = healthy()
    v[60:] = [x * 0.75 for x in v[60:]]  # a 25 % drop
    assert first_detection([v])[0] is None
    event, _ = first_detection([v], ShortCriteria(soft_short_drop_fraction=0.2))
    assert event.criterion == "soft_short"
