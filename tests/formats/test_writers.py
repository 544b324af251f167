"""write_csv and write_zview produce files that read_spectrum returns unchanged."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from conftest import DATA
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.formats import read_spectrum, write_csv, write_zview

finite = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)
positive = st.floats(min_value=1e-6, max_value=1e9, allow_nan=False, allow_infinity=False)
spectra = st.lists(st.tuples(positive, finite, finite), min_size=1, max_size=40).map(
    lambda rows: pd.DataFrame(rows, columns=["frequency_hz", "z_real_ohm", "z_imag_ohm"]))
quick = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@quick
@given(spectrum=spectra)
def test_csv_round_trip_is_exact(tmp_path, spectrum):
    path = write_csv(spectrum, tmp_path / "spectrum.csv")
    back = read_spectrum(path)
    pd.testing.assert_frame_equal(back[list(spectrum.columns)], spectrum, check_exact=True)
    assert back.attrs["imag_sign_source"] == "name" or back.attrs["imag_sign"] == 1


@quick
@given(spectrum=spectra)
def test_zview_round_trip_is_exact(tmp_path, spectrum):
    path = write_zview(spectrum, tmp_path / "spectrum.z")
    back = read_spectrum(path)
    assert back.attrs["format"] == "zview"
    pd.testing.assert_frame_equal(back[list(spectrum.columns)], spectrum, check_exact=True)


def test_csv_keeps_cycles_and_reads_inductive_data_with_its_sign(tmp_path):
    df = read_spectrum(DATA / "eclab_peis.mpt")
    df["z_imag_ohm"] = df["z_imag_ohm"].abs()  # an all-inductive spectrum must not be flipped
    back = read_spectrum(write_csv(df, tmp_path / "cycles.csv"))
    assert back["cycle"].tolist() == df["cycle"].tolist()
    assert (back["z_imag_ohm"] > 0).all()


def test_zview_file_layout(tmp_path):
    df = read_spectrum(DATA / "gamry_eispot.DTA")
    path = write_zview(df, tmp_path / "out.z", amplitude_v=0.01, comment="Na|NZSP|Na\n25 C",
                       when=dt.datetime(2025, 3, 14, 9, 12, 5))
    lines = path.read_bytes().decode("ascii").split("\r\n")
    assert lines[0] == "ZPLOT2 ASCII"
    assert lines[lines.index("End Comments") - 1].split() == ["Freq(Hz)", "Ampl", "Bias", "Time(Sec)", "Z'(a)",
                                                            "Z''(b)", "GD", "Err", "Range"]
    first_row = lines[lines.index("End Comments") + 1].split("\t")
    assert len(first_row) == 9
    assert float(first_row[0]) == pytest.approx(1e5) and float(first_row[1]) == pytest.approx(0.01)
    back = read_spectrum(path)
    assert back.attrs["date"] == "03-14-2025"
    assert back.attrs["area_cm2"] == pytest.approx(0.785)  # taken from the source's attrs
    assert back.attrs["declared_points"] == len(df)
    np.testing.assert_allclose(back["z_imag_ohm"], df["z_imag_ohm"], rtol=1e-9)


@pytest.mark.parametrize("writer", [write_csv, write_zview])
def test_writers_refuse_invalid_spectra(tmp_path, writer):
    with pytest.raises(ValueError, match="lacks columns"):
        writer(pd.DataFrame({"frequency_hz": [1.0]}), tmp_path / "x")
    bad = pd.DataFrame({"frequency_hz": [0.0], "z_real_ohm": [1.0], "z_imag_ohm": [1.0]})
    with pytest.raises(ValueError, match="positive frequencies"):
        writer(bad, tmp_path / "x")
