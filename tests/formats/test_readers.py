"""Every reader on a sample of its format: values, sign, order, metadata, detection."""

import shutil

import numpy as np
import pandas as pd
import pytest
from conftest import DATA, FREQUENCIES_HZ, SAMPLES
from mpr_writer import samples

from workbench.formats import FormatError, read_spectrum

# significant digits each sample was written with (.mpr files hold 32-bit floats)
RTOL = {"zplot_sweep.z": 1e-6, "zplot_comma.z": 1e-6, "gamry_eispot.DTA": 1e-6, "chi_impedance.txt": 1e-3,
        "eclab_peis_sweeps.mpr": 1e-6, "eclab_geis.mpr": 1e-6}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_reader_returns_model_values_with_physical_sign(name, expected_z):
    df = read_spectrum(DATA / name)
    assert df.attrs["format"] == SAMPLES[name]
    assert list(df.columns[:3]) == ["frequency_hz", "z_real_ohm", "z_imag_ohm"]
    first = df.iloc[: len(FREQUENCIES_HZ)]
    rtol = RTOL.get(name, 1e-7)
    np.testing.assert_allclose(first["frequency_hz"], FREQUENCIES_HZ, rtol=rtol)
    np.testing.assert_allclose(first["z_real_ohm"], expected_z.real, rtol=rtol)
    np.testing.assert_allclose(first["z_imag_ohm"], expected_z.imag, rtol=rtol)
    assert (first["z_imag_ohm"] < 0).all()
    assert df.attrs["source_path"] == str(DATA / name)


def test_biologic_header_metadata_and_cycles():
    df = read_spectrum(DATA / "eclab_peis.mpt")
    assert len(df) == 12
    assert df["cycle"].tolist() == [1] * 6 + [2] * 6
    assert df.attrs["instrument"] == "SP-300 (SN 2211)"
    assert df.attrs["date"] == "03/14/2025 09:12:05.120"
    assert df.attrs["area_cm2"] == pytest.approx(0.785)
    assert df.attrs["amplitude_mv"] == pytest.approx(10.0)
    assert df.attrs["header"]["Electrolyte"] == "Na3Zr2Si2PO12"
    assert df.attrs["imag_sign_source"] == "name"
    # second cycle was written 1 % larger: rows stay in file order, not sorted by frequency
    np.testing.assert_allclose(df["z_real_ohm"].iloc[6:].to_numpy(), 1.01 * df["z_real_ohm"].iloc[:6].to_numpy(),
                               rtol=1e-7)


def test_biologic_decimal_comma_and_loops():
    df = read_spectrum(DATA / "eclab_peis_eu.mpt")
    assert df["loop"].tolist() == [0, 0, 0, 1, 1, 1]
    assert df["cycle"].dtype == np.int64
    assert df.attrs["area_cm2"] == pytest.approx(0.785)


def test_gamry_metadata():
    df = read_spectrum(DATA / "gamry_eispot.DTA")
    assert df.attrs["instrument"] == "IFC1010-30012"
    assert (df.attrs["date"], df.attrs["time"]) == ("3/14/2025", "9:12:05")
    assert df.attrs["amplitude_mv"] == pytest.approx(10.0)
    assert df.attrs["area_cm2"] == pytest.approx(0.785)
    assert df.attrs["software"] == "7.10.1"


def test_zplot_metadata_and_known_positions():
    df = read_spectrum(DATA / "zplot_sweep.z")
    assert df.attrs["variant"] == "zplot"
    assert df.attrs["date"] == "03-14-2025"
    assert df.attrs["columns_used"] == {"frequency_hz": "Freq(Hz)", "z_real_ohm": "Z'(a)", "z_imag_ohm": "Z''(b)"}
    assert read_spectrum(DATA / "z60w_export.txt").attrs["variant"] == "z60w"


def test_chi_preamble_metadata():
    df = read_spectrum(DATA / "chi_impedance.txt")
    assert df.attrs["instrument"] == "CHI660E"
    assert df.attrs["amplitude_mv"] == pytest.approx(10.0)
    assert df.attrs["date"].startswith("Mar. 14, 2025")


def test_parstat_dc_rows_are_skipped_but_counted():
    df = read_spectrum(DATA / "parstat_export.txt")
    assert len(df) == 6
    assert df.attrs["skipped_zero_rows"] == 3


def test_sign_from_name_from_data_and_from_argument(tmp_path):
    assert read_spectrum(DATA / "plain_negated.csv").attrs["imag_sign_source"] == "name"
    ambiguous = read_spectrum(DATA / "plain_ambiguous.csv")
    assert ambiguous.attrs["imag_sign_source"] == "data"
    assert ambiguous.attrs["imag_sign"] == -1
    # the same column read as physical Z'' on request
    forced = read_spectrum(DATA / "plain_ambiguous.csv", imag_sign=+1)
    np.testing.assert_allclose(forced["z_imag_ohm"], -ambiguous["z_imag_ohm"])
    assert forced.attrs["imag_sign_source"] == "argument"
    # an inductive-looking ambiguous column with mostly negative values stays as it is
    path = tmp_path / "physical.csv"
    path.write_text("f,Im(Z),Re(Z)\n1000,-5,10\n100,-7,12\n10,2,15\n")
    df = read_spectrum(path)
    assert df["z_imag_ohm"].tolist() == [-5.0, -7.0, 2.0]
    assert df["z_real_ohm"].tolist() == [10.0, 12.0, 15.0]


def test_imag_sign_argument_is_validated():
    with pytest.raises(ValueError, match="imag_sign"):
        read_spectrum(DATA / "plain_negated.csv", imag_sign=2)


def test_columns_override_by_name_position_and_reverse_mapping(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("omega_label,resistance,reactance,minus_x\n1000,10,-3,3\n100,20,-8,8\n")
    with pytest.raises(FormatError, match="odd.csv, line 1"):
        read_spectrum(path)
    df = read_spectrum(path, columns={"frequency_hz": "omega_label", "z_real_ohm": "resistance",
                                      "z_imag_ohm": "reactance"})
    assert df["z_imag_ohm"].tolist() == [-3.0, -8.0]
    reverse = read_spectrum(path, columns={"omega_label": "frequency_hz", "resistance": "z_real_ohm",
                                           "minus_x": "z_imag_ohm"})
    assert reverse["z_imag_ohm"].tolist() == [-3.0, -8.0]  # data decide: column is mostly positive
    positional = read_spectrum(path, columns={"frequency_hz": 0, "z_real_ohm": 1, "z_imag_ohm": 3}, imag_sign=-1)
    assert positional["z_imag_ohm"].tolist() == [-3.0, -8.0]
    with pytest.raises(FormatError, match="'nope' requested"):
        read_spectrum(path, columns={"frequency_hz": "nope", "z_real_ohm": 1, "z_imag_ohm": 2})


def test_columns_override_on_an_instrument_format():
    df = read_spectrum(DATA / "eclab_peis.mpt", columns={"z_real_ohm": "|Z|/Ohm"})
    np.testing.assert_allclose(df["z_real_ohm"], np.hypot(df["z_imag_ohm"], read_spectrum(
        DATA / "eclab_peis.mpt")["z_real_ohm"]), rtol=1e-6)


def test_headerless_numeric_csv_assumes_first_three_columns(tmp_path):
    path = tmp_path / "bare.txt"
    path.write_text("1000\t10,5\t-3,25\n100\t20,5\t-8,5\n")
    df = read_spectrum(path)
    assert df["z_real_ohm"].tolist() == [10.5, 20.5]
    assert df["z_imag_ohm"].tolist() == [-3.25, -8.5]
    assert "columns_assumed" in df.attrs


@pytest.mark.parametrize("sample, disguise, expected", [
    ("nova_export.txt", "renamed.csv", "autolab"),
    ("gamry_eispot.DTA", "renamed.txt", "gamry"),
    ("plain_negated.csv", "renamed.mpt", "csv"),
    ("zplot_sweep.z", "renamed.dat", "zview"),
    ("eclab_noheader.mpt", "renamed.txt", "biologic"),
])
def test_content_wins_over_extension(tmp_path, sample, disguise, expected):
    shutil.copy(DATA / sample, tmp_path / disguise)
    assert read_spectrum(tmp_path / disguise).attrs["format"] == expected


def test_forced_format_and_unknown_format(tmp_path):
    assert read_spectrum(DATA / "zplot_sweep.z", format="z").attrs["format"] == "zview"
    with pytest.raises(ValueError, match="unknown format"):
        read_spectrum(DATA / "zplot_sweep.z", format="relaxis")
    with pytest.raises(FormatError, match="ZCURVE"):
        read_spectrum(DATA / "zplot_sweep.z", format="gamry")


def test_result_is_a_plain_dataframe_with_float_columns():
    df = read_spectrum(DATA / "gamry_eispot.DTA")
    assert isinstance(df, pd.DataFrame)
    assert all(df[c].dtype == np.float64 for c in ("frequency_hz", "z_real_ohm", "z_imag_ohm"))


def test_biologic_rest_rows_between_sweeps_are_skipped_and_sweeps_numbered():
    df = read_spectrum(DATA / "eclab_sweeps_rest.mpt")
    assert len(df) == 18 and (df["frequency_hz"] > 0).all()
    assert df["sweep"].tolist() == [1] * 6 + [2] * 6 + [3] * 6
    assert df["cycle"].tolist() == [1] * 18  # the cycle number does not tell these sweeps apart
    assert df.attrs["skipped_rest_rows"] == 4
    assert df.attrs["area_cm2"] == pytest.approx(0.567)
    np.testing.assert_allclose(df["z_real_ohm"].iloc[12:].to_numpy(), 1.02 * df["z_real_ohm"].iloc[:6].to_numpy(),
                               rtol=1e-6)


def test_biologic_sweeps_follow_cycle_numbers():
    df = read_spectrum(DATA / "eclab_peis.mpt")
    assert df["sweep"].tolist() == df["cycle"].tolist()
    assert "skipped_rest_rows" not in df.attrs


def test_mpr_peis_sweeps_cycles_and_rest_points():
    df = read_spectrum(DATA / "eclab_peis_sweeps.mpr")
    assert df.attrs["format"] == "biologic-mpr"
    assert (df.attrs["technique"], df.attrs["data_module_version"], df.attrs["date"]) == ("PEIS", 3, "03/14/25")
    assert df["cycle"].tolist() == [1] * 6 + [2] * 6
    assert df["sweep"].tolist() == [1] * 6 + [2] * 6
    assert df.attrs["skipped_rest_rows"] == 2
    assert df.attrs["imag_sign"] == -1


def test_mpr_geis_loops_in_the_newer_layout():
    df = read_spectrum(DATA / "eclab_geis.mpr")
    assert (df.attrs["technique"], df.attrs["data_module_version"]) == ("GEIS", 11)
    assert df["loop"].tolist() == [0] * 6 + [1] * 6
    assert df["sweep"].tolist() == [1] * 6 + [2] * 6
    np.testing.assert_allclose(df["z_imag_ohm"].iloc[6:].to_numpy(), 1.02 * df["z_imag_ohm"].iloc[:6].to_numpy(),
                               rtol=1e-6)


def test_mpr_of_a_cycling_run_is_refused_with_the_reason():
    with pytest.raises(FormatError, match=r"^eclab_gcpl_setpoint\.mpr: expected impedance columns .* in this GCPL "
                                          r"file, .*read_cycling"):
        read_spectrum(DATA / "eclab_gcpl_setpoint.mpr")


def test_mpr_samples_are_reproducible():
    for name, content in samples().items():
        assert (DATA / name).read_bytes() == content, f"{name} differs from what mpr_writer.py writes"


def test_versastudio_metadata_and_columns():
    df = read_spectrum(DATA / "versastudio.par")
    assert df.attrs["instrument"] == "VersaSTAT3 (SN 1234)"
    assert df.attrs["date"] == "Friday, March 14, 2025 10:00:00 AM"
    assert df.attrs["area_cm2"] == pytest.approx(0.567)
    assert df.attrs["columns_used"] == {"frequency_hz": "Frequency(Hz)", "z_real_ohm": "Z Real",
                                        "z_imag_ohm": "Z Imag"}
