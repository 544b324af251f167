"""A sweep above the impedance analyser's highest frequency starts there instead, and the plan says so."""

from pathlib import Path

import pytest

from workbench.cell import Sample
from workbench.procedures import (
    CCDParameters,
    CCDTest,
    ImpedanceSweep,
    ImpedanceSweepParameters,
    ParameterError,
    Sequence,
    SequenceParameters,
    SubRange,
)
from workbench.procedures.analyser_range import analyser_limit, fit_to_analyser

NOTE = "impedance sweep starts at 7 MHz instead of 13 MHz: the BioLogic VMP-300 measures up to 7 MHz"


def test_paper_sweep_starts_at_7_mhz_with_the_paper_s_sub_ranges_below():
    procedure, notes = fit_to_analyser(ImpedanceSweep(), 7e6, "BioLogic VMP-300")
    assert notes == [NOTE]
    p = procedure.parameters
    assert p.start_frequency_hz == 7e6 and p.stop_frequency_hz == 5.0 and p.points_per_decade == 20
    assert [(r.high_frequency_hz, r.low_frequency_hz) for r in p.sub_ranges] == [(7e6, 5e5), (5e5, 500.0),
                                                                                 (500.0, 5.0)]
    assert p.sub_ranges[0].delay_cycles == 10 and p.sub_ranges[2].integration_cycles == 30
    assert procedure.plan(Sample.paper("as sintered")).summary["frequencies"] == "7e+06 Hz to 5 Hz"


def test_nothing_changes_within_the_range_or_without_a_limit():
    sweep = ImpedanceSweep()
    assert fit_to_analyser(sweep, 32e6, "Solartron 1260") == (sweep, [])
    assert fit_to_analyser(sweep, None) == (sweep, [])


def test_a_sub_range_wholly_above_is_dropped():
    ranges = (SubRange(13e6, 8e6, integration_s=1.0), SubRange(8e6, 1e3, integration_s=0.5),
              SubRange(1e3, 1.0, integration_cycles=10))
    procedure, _ = fit_to_analyser(ImpedanceSweep(ImpedanceSweepParameters(sub_ranges=ranges, stop_frequency_hz=1.0)),
                                   7e6, "BioLogic VMP-300")
    assert [(r.high_frequency_hz, r.integration_s) for r in procedure.parameters.sub_ranges] == [(7e6, 0.5),
                                                                                                (1e3, None)]


def test_every_sweep_of_a_ccd_test_and_of_a_sequence_is_fitted():
    ccd = CCDTest(CCDParameters.paper(sweep_before=ImpedanceSweepParameters(),
                                      sweep_after=ImpedanceSweepParameters(start_frequency_hz=1e6)))
    fitted, notes = fit_to_analyser(ccd, 7e6, "BioLogic VMP-300")
    assert notes == [NOTE]
    assert fitted.parameters.sweep_before.start_frequency_hz == 7e6
    assert fitted.parameters.sweep_after is ccd.parameters.sweep_after            # already within range
    sequence = Sequence(SequenceParameters(steps=(ImpedanceSweepParameters(), ccd.parameters)))
    fitted, notes = fit_to_analyser(sequence, 7e6, "BioLogic VMP-300")
    assert notes == [NOTE, NOTE]
    assert [type(p).__name__ for p in fitted.procedures] == ["ImpedanceSweep", "CCDTest"]
    assert fitted.procedures[0].parameters.start_frequency_hz == 7e6


def test_a_sweep_wholly_above_the_analyser_is_refused_by_name():
    high = ImpedanceSweep(ImpedanceSweepParameters(start_frequency_hz=13e6, stop_frequency_hz=8e6))
    with pytest.raises(ParameterError, match=r"'stop_frequency_hz' \(8e\+06 Hz\) is not below 7e\+06 Hz, the "
                                             r"highest frequency the BioLogic VMP-300 measures"):
        fit_to_analyser(high, 7e6, "BioLogic VMP-300")


def test_the_limit_is_read_from_the_bench_s_analyser():
    class Analyser:
        model = "BioLogic VMP-300"
        max_frequency_hz = 7e6

    class Bench:
        def instrument(self, role):
            return Analyser() if role == "fra" else None

    class Disconnected:
        def instrument(self, role):
            return None

    assert analyser_limit(Bench()) == (7e6, "BioLogic VMP-300")
    assert analyser_limit(Disconnected())[0] is None


def test_the_command_line_plan_says_it_for_a_vmp300_bench(tmp_path, capsys):
    from workbench.cli import main

    config = tmp_path / "vmp.toml"
    vmp = 'driver = "vmp300"\nresource = "USB0"\nemulated = false\nchannel = 1\n'
    stage = '[stage]\ndriver = "linkam_t95"\nresource = "ASRL1::INSTR"\n'
    config.write_text(f"[fra]\n{vmp}\n[galvanostat]\n{vmp}\n{stage}", encoding="utf-8")
    protocol = str(Path(__file__).resolve().parents[2] / "resources" / "protocols" / "paper_eis_sweep.toml")
    assert main(["plan", protocol, "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert f"note: {NOTE}" in out and "124 points" in out
    assert main(["plan", protocol]) == 0
    assert "note:" not in capsys.readouterr().out
