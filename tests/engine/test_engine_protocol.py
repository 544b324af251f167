"""Protocol files: the shipped ones load; malformed ones are refused naming the key."""

from pathlib import Path

import pytest

from workbench.procedures import CCDParameters, ImpedanceSweepParameters
from workbench.protocol import ProtocolError, load_protocol, parse_protocol

PROTOCOLS = Path(__file__).resolve().parents[2] / "resources" / "protocols"
SAMPLE = {"name": "A1", "surface_state": "as sintered", "thickness_mm": 1.7, "electrode_diameter_mm": 8.5}


@pytest.mark.parametrize(
    "name",
    [
        "paper_eis_sweep",
        "ccd_constant_capacity",
        "ccd_constant_dwell",
        "formation_cycles",
        "plating_stripping",
        "temperature_step",
        "sequence_25C_eis_ccd_eis",
    ],
)
def test_shipped_protocols_load_and_plan(name):
    protocol = load_protocol(PROTOCOLS / f"{name}.toml")
    assert protocol.sample.area_cm2 == pytest.approx(0.5675, abs=1e-4)
    plan = protocol.procedure().plan(protocol.sample)
    assert plan.total_duration_s > 0 and plan.n_points > 0


def test_paper_values_in_the_shipped_protocols():
    eis = load_protocol(PROTOCOLS / "paper_eis_sweep.toml").parameters
    assert eis == ImpedanceSweepParameters.paper()
    ccd = load_protocol(PROTOCOLS / "ccd_constant_capacity.toml").parameters
    assert ccd.current_densities_mA_cm2()[0] == 0.5 and ccd.current_densities_mA_cm2()[-1] == 15.0
    assert ccd.capacity_mAh_cm2 == 0.25 and ccd.sweep_before == ImpedanceSweepParameters.paper()
    assert load_protocol(PROTOCOLS / "ccd_constant_dwell.toml").parameters.mode == "constant_dwell"


def protocol(**procedure):
    return {"sample": dict(SAMPLE), "procedure": procedure}


@pytest.mark.parametrize(
    "data, words",
    [
        ({"procedure": {"kind": "ccd", "capacity_mAh_cm2": 0.25}}, "missing [sample]"),
        ({**protocol(kind="ccd", capacity_mAh_cm2=0.25), "extra": 1}, "unknown key 'extra'"),
        (protocol(kind="cdd"), "'procedure.kind' must be one of"),
        (
            protocol(kind="ccd", capacity_mAh_cm2=0.25, start_current_density_mA_cm2="fast"),
            "'procedure.start_current_density_mA_cm2' must be a number",
        ),
        (
            protocol(kind="ccd", capacity_mAh_cm2=0.25, step_mA_cm2=0.5),
            "'procedure.step_mA_cm2' is not a known key",
        ),
        (protocol(kind="ccd"), "'procedure.capacity_mAh_cm2' give exactly one of"),
        (
            protocol(kind="plating_stripping", capacity_mAh_cm2=1),
            "'procedure.current_density_mA_cm2' is missing",
        ),
        (
            protocol(kind="impedance_sweep", sub_ranges=[{"high_frequency_hz": 1e7, "low_frequency_hz": 1}]),
            "'procedure.sub_ranges[0].integration_s' give exactly one",
        ),
        (
            protocol(kind="sequence", steps=[{"kind": "ccd", "capacity_mAh_cm2": 0.25}, {"kind": "eis"}]),
            "'procedure.steps[1].kind' must be one of",
        ),
        (
            protocol(kind="sequence", steps=[{"kind": "temperature_step"}]),
            "'procedure.steps[0].setpoint_c' is missing",
        ),
        (
            {"sample": {**SAMPLE, "thickness_mm": -1}, "procedure": {"kind": "impedance_sweep"}},
            "'sample.thickness_mm' must be positive",
        ),
        (
            {"sample": {**SAMPLE, "surface_state": "shiny"}, "procedure": {"kind": "impedance_sweep"}},
            "'sample.surface_state'",
        ),
        (
            {**protocol(kind="impedance_sweep"), "safety": {"soft_short_drop_fraction": 2}},
            "'safety.soft_short_drop_fraction' must be at most 1",
        ),
    ],
)
def test_malformed_protocols_name_the_key(data, words):
    with pytest.raises(ProtocolError) as info:
        parse_protocol(data, "p.toml")
    assert words in str(info.value)
    assert str(info.value).startswith("p.toml:")


def test_bad_toml_and_missing_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[sample\nname = 1\n")
    with pytest.raises(ProtocolError, match="not valid TOML"):
        load_protocol(bad)
    with pytest.raises(ProtocolError, match="cannot read"):
        load_protocol(tmp_path / "nope.toml")


def test_sweep_true_means_the_paper_sweep():
    p = parse_protocol(protocol(kind="ccd", capacity_mAh_cm2=0.25, sweep_after=True))
    assert p.parameters == CCDParameters(capacity_mAh_cm2=0.25, sweep_after=ImpedanceSweepParameters.paper())
