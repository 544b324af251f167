"""Cycling readers: every sample file gives the run it was written from; errors name file and line."""

import shutil

import numpy as np
import pandas as pd
import pytest
from conftest import CYCLING_SAMPLES, DATA
from sample_model import CYCLING_CURRENT_A, CYCLING_CYCLE, CYCLING_STEP, CYCLING_TIME_S, CYCLING_VOLTAGE_V

from workbench.formats import FormatError
from workbench.formats.cycling import cycling_from_bytes, read_cycling


@pytest.mark.parametrize("name", sorted(CYCLING_SAMPLES))
def test_sample_gives_the_run_it_was_written_from(name):
    fmt, offset, step_from_zero, magnitude, source = CYCLING_SAMPLES[name]
    df = read_cycling(DATA / name)
    assert list(df.columns[:3]) == ["time_s", "voltage_v", "current_a"]
    assert all(df[c].dtype == np.float64 for c in ("time_s", "voltage_v", "current_a"))
    assert df.attrs["format"] == fmt
    assert df.attrs["current_source"] == source
    assert df.attrs["current_sign"]
    # Maccor's TestTime in minutes has 6 decimals: 1e-6 min
    np.testing.assert_allclose(df["time_s"], CYCLING_TIME_S + offset, rtol=0, atol=1e-4)
    np.testing.assert_allclose(df["voltage_v"], CYCLING_VOLTAGE_V, rtol=1e-6)
    current = np.abs(CYCLING_CURRENT_A) if magnitude else CYCLING_CURRENT_A
    np.testing.assert_allclose(df["current_a"], current, rtol=1e-6, atol=1e-12)
    if "cycle" in df.columns:
        assert df["cycle"].tolist() == CYCLING_CYCLE.tolist()
    if "step" in df.columns:
        assert df["step"].tolist() == (CYCLING_STEP - step_from_zero).tolist()
    assert "warnings" not in df.attrs


def test_setpoint_current_is_zero_at_rest_and_flagged():
    df = read_cycling(DATA / "eclab_gcpl_setpoint.mpr")
    assert df.attrs["current_source"] == "set-point"
    assert df.attrs["columns_used"]["current_a"] == "control/V/mA"
    assert df["half_cycle"].tolist() == [0, 0, 0, 1, 1, 2]
    assert "mode" not in df.columns
    assert (df.attrs["technique"], df.attrs["data_module_version"]) == ("GCPL", 11)


def test_potentiostatic_point_without_a_current_column_is_refused(tmp_path):
    text = (DATA / "eclab_mb_setpoint.mpt").read_bytes().replace(b"\r\n1\t0\t0\t1\t", b"\r\n2\t0\t0\t1\t", 1)
    with pytest.raises(FormatError, match=r"point 2 is potentiostatic \(mode 2\) and the file has no current column"):
        cycling_from_bytes(text, tmp_path / "mb.mpt")


def test_maccor_time_unit_found_from_date_stamps(tmp_path):
    df = read_cycling(DATA / "maccor_export.txt")
    assert df.attrs["time_unit_found"].startswith("TestTime is in min")
    assert df["state"].tolist() == ["R", "C", "C", "D", "D", "R"]
    assert df.attrs["instrument"] == "Maccor #2"
    assert "\x04" not in df.attrs["header"]["Description"]
    no_stamps = b"\r\n".join(line.rsplit(b"\t", 2)[0] if b"\t" in line and not line.startswith((b"Desc", b"Name"))
                             else line for line in (DATA / "maccor_export.txt").read_bytes().split(b"\r\n"))
    with pytest.raises(FormatError, match=r"line 8: column 'TestTime' has no unit and the file has no DPT Time"):
        cycling_from_bytes(no_stamps, tmp_path / "maccor.txt")


def test_neware_keeps_step_type_and_reads_quoted_lines():
    df = read_cycling(DATA / "neware_quoted.csv")
    assert df["state"].tolist() == ["Rest", "CC Chg", "CC Chg", "CC DChg", "CC DChg", "Rest"]
    assert df.attrs["columns_used"]["time_s"] == "Cumulative Time"


def test_latin1_and_decimal_comma_metadata():
    df = read_cycling(DATA / "eclab_gcpl_eu.mpt")
    assert df.attrs["instrument"] == "VMP-300 (SN 0301)"
    assert df.attrs["area_cm2"] == pytest.approx(0.567)
    assert df.attrs["columns_used"]["current_a"] == "<I>/mA"


@pytest.mark.parametrize("sample, disguise, expected", [
    ("neware_quoted.csv", "renamed.txt", "neware"),
    ("maccor_seconds.txt", "renamed.csv", "maccor"),
    ("eclab_cp.mpt", "renamed.dat", "eclab"),
    ("arbin_export.csv", "renamed.mpt", "arbin"),
    ("eclab_cp.mpr", "renamed.bin", "eclab-mpr"),
])
def test_content_wins_over_extension(tmp_path, sample, disguise, expected):
    shutil.copy(DATA / sample, tmp_path / disguise)
    assert read_cycling(tmp_path / disguise).attrs["format"] == expected


def test_forced_and_unknown_format():
    assert read_cycling(DATA / "arbin_export.csv", format="arbin").attrs["format"] == "arbin"
    with pytest.raises(ValueError, match="unknown cycling format"):
        read_cycling(DATA / "arbin_export.csv", format="bitrode")
    with pytest.raises(FormatError, match="expected a Neware header row"):
        read_cycling(DATA / "arbin_export.csv", format="neware")


def _replace(name, old: bytes, new: bytes) -> bytes:
    data = (DATA / name).read_bytes()
    assert old in data
    return data.replace(old, new, 1)


@pytest.mark.parametrize("content, suffix, expected", [
    (b"", ".csv", "expected cycling data, found an empty file"),
    (b"hello\nworld\n", ".csv", "line 1: unrecognised cycling file"),
    (_replace("arbin_export.csv", b"0.015300", b"0.0153x"), ".csv",
     "line 3: expected a number in column Voltage(V), found '0.0153x'"),
    (_replace("arbin_export.csv", b"20.0000", b"5.0000"), ".csv",
     "line 4: time goes back from 10 s (line 3) to 5 s (line 4)"),
    (_replace("arbin_export.csv", b"Voltage(V)", b"Potential(V)"), ".csv", "line 1: expected a Voltage column"),
    (_replace("arbin_export.csv", b"Current(A)", b"Current(kA)"), ".csv",
     "line 1: column 'Current(kA)': expected a current unit"),
    (_replace("neware_quoted.csv", b"25:00:10", b"25:0x:10"), ".csv", "line 3: expected a time (a number or h:mm:ss)"),
    (_replace("neware_eu.csv", b'"2";"1";"2"', b'"2";"1";"2.5"'), ".csv", "line 3: expected a whole number in "
                                                                          "column Step ID"),
    (_replace("eclab_cp.mpt", b"time/s", b"t/s"), ".mpt", "line 5: expected the column header"),
    (_replace("eclab_cp.mpt", b"<Ewe>/V", b"<E>/V"), ".mpt", "line 5: expected a voltage column"),
    (_replace("maccor_seconds.txt", b"\t1\t1\t0.000", b"\t1\t1\tnan"), ".txt", "line 5: non-finite value 'nan'"),
])
def test_malformed_files_name_file_and_line(tmp_path, content, suffix, expected):
    path = tmp_path / f"sample{suffix}"
    path.write_bytes(content)
    with pytest.raises(FormatError) as caught:
        read_cycling(path)
    assert str(caught.value).startswith(path.name)
    assert expected in str(caught.value)


def test_impedance_file_is_not_cycling_data():
    with pytest.raises(FormatError, match="holds impedance spectra, not cycling data"):
        read_cycling(DATA / "eclab_geis.mpr")
    with pytest.raises(FormatError, match="line 25: this EC-Lab file holds impedance spectra"):
        read_cycling(DATA / "eclab_peis.mpt")


def test_short_row_inside_a_cycling_file_is_an_error(tmp_path):
    data = _replace("arbin_export.csv", b",0,0\r\n3,", b"\r\n3,")
    with pytest.raises(FormatError, match=r"line 3: expected 10 cells as in the header \(line 1\), found 8"):
        cycling_from_bytes(data, tmp_path / "arbin.csv")


def test_result_is_a_plain_dataframe():
    df = read_cycling(DATA / "neware_eu.csv")
    assert isinstance(df, pd.DataFrame) and df.index.tolist() == list(range(6))
