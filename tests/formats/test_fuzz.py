"""Random damage to every sample file: the result is a valid spectrum or cycling run, or a FormatError."""

import numpy as np
import pandas as pd
import pytest
from conftest import CYCLING_SAMPLES, DATA, SAMPLES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.formats import FormatError, read_spectrum
from workbench.formats.cycling import read_cycling

fuzz = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
NOISE = st.sampled_from([b"\t", b",", b";", b"\r\n", b"\n", b"-", b".", b"E", b"nan", b"inf", b"\x00", b"\xff",
                         b"\xc3", b"End Comments", b"ZCURVE\tTABLE", b"Loop 0 from point number 0 to 9",
                         b"0", b"1e999", b'"', b"Nb header lines : 2", b" "])


def check(path):
    """Read and verify the invariants of any accepted result."""
    try:
        df = read_spectrum(path)
    except FormatError as error:
        assert str(error).startswith(path.name)
        return
    assert isinstance(df, pd.DataFrame) and len(df) > 0
    values = df[["frequency_hz", "z_real_ohm", "z_imag_ohm"]].to_numpy(dtype=float)
    assert np.isfinite(values).all()
    assert (values[:, 0] > 0).all()
    assert df.attrs["format"] in {"biologic", "biologic-mpr", "gamry", "zview", "autolab", "versastudio", "csv",
                                  "chi"}


@st.composite
def damaged(draw, original: bytes):
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "noise"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 40))]
        elif kind == "truncate":
            del data[at:]
        else:
            data[at:at] = draw(NOISE)
    return bytes(data)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_damaged_sample(tmp_path, name):
    original = (DATA / name).read_bytes()
    path = tmp_path / name

    @fuzz
    @given(data=damaged(original))
    def run(data):
        path.write_bytes(data)
        check(path)

    run()


@pytest.mark.parametrize("suffix", [".mpt", ".DTA", ".z", ".csv", ".txt", ".par", ".mpr"])
@fuzz
@given(text=st.text(alphabet=st.sampled_from(list("0123456789.,;-+eE\t \n\r\"'aZfqrImRe()/Hz")), max_size=300))
def test_random_text(tmp_path, suffix, text):
    path = tmp_path / f"random{suffix}"
    path.write_text(text, encoding="utf-8")
    check(path)


def check_cycling(path):
    try:
        df = read_cycling(path)
    except FormatError as error:
        assert str(error).startswith(path.name)
        return
    values = df[["time_s", "voltage_v", "current_a"]].to_numpy(dtype=float)
    assert len(df) > 0 and np.isfinite(values).all()
    assert (np.diff(values[:, 0]) >= 0).all()


@pytest.mark.parametrize("name", sorted(CYCLING_SAMPLES))
def test_damaged_cycling_sample(tmp_path, name):
    original = (DATA / name).read_bytes()
    path = tmp_path / name

    @fuzz
    @given(data=damaged(original))
    def run(data):
        path.write_bytes(data)
        check_cycling(path)

    run()


@pytest.mark.parametrize("suffix", [".mpt", ".mpr", ".csv", ".txt"])
@fuzz
@given(text=st.text(alphabet=st.sampled_from(list("0123456789.,;:-+eE\t \n\r\"'aAVsmtTimeCurrentVoltageRec_/()")),
                    max_size=300))
def test_random_text_as_cycling(tmp_path, suffix, text):
    path = tmp_path / f"random{suffix}"
    path.write_text(text, encoding="utf-8")
    check_cycling(path)
