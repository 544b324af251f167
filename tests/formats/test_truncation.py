"""Files cut off anywhere: what is read is a prefix of the whole file's rows, or a FormatError.

Every impedance and cycling sample file is cut at every byte offset (``EXHAUSTIVE_CUTS`` inputs in
all, about 23 000), and hypothesis cuts spectra of its own making, written by the package's writers and in
the EC-Lab layout, at any offset. A cut row is never read as data: each value read is the value the
whole file holds on that row.
"""

import pytest
from conftest import CYCLING_SAMPLES, DATA, SAMPLES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.formats import FormatError, spectrum_from_bytes, write_csv, write_zview
from workbench.formats.cycling import cycling_from_bytes

EXHAUSTIVE_CUTS = sum((DATA / name).stat().st_size + 1 for name in [*SAMPLES, *CYCLING_SAMPLES])
GENERATED_CUTS = 200


def _rows(df):
    """Columns as the file holds them: Z'' with the file's own sign, the cycle and loop numbers."""
    columns = {"frequency_hz": df["frequency_hz"], "z_real_ohm": df["z_real_ohm"],
               "z_imag_ohm": df["z_imag_ohm"] * df.attrs["imag_sign"]}
    columns.update({c: df[c] for c in ("cycle", "loop") if c in df.columns})
    return {name: column.astype(float).tolist() for name, column in columns.items()}


def _check_cut(data: bytes, cut: int, path, full_rows):
    try:
        df = spectrum_from_bytes(data[:cut], path)
    except FormatError as error:
        assert str(error).startswith(path.name)
        return None
    for name, values in _rows(df).items():
        # a binary file cut before its loop module has no loop column; every column it has is the file's
        assert values == full_rows[name][: len(values)], f"cut at byte {cut} read {name} values that are not the file's"
    return df


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_cut_of_a_sample_reads_a_prefix_or_fails(name):
    path = DATA / name
    data = path.read_bytes()
    full_rows = _rows(spectrum_from_bytes(data, path))
    dropped = 0
    for cut in range(len(data) + 1):
        df = _check_cut(data, cut, path, full_rows)
        if df is not None and "warnings" in df.attrs:
            assert "the file looks cut off" in df.attrs["warnings"][0]
            dropped += 1
    assert dropped > 0  # some cuts fall inside a data row of every sample


@pytest.mark.parametrize("name", sorted(CYCLING_SAMPLES))
def test_every_cut_of_a_cycling_sample_reads_a_prefix_or_fails(name):
    path = DATA / name
    data = path.read_bytes()
    full = cycling_from_bytes(data, path)
    dropped = 0
    for cut in range(len(data) + 1):
        try:
            df = cycling_from_bytes(data[:cut], path)
        except FormatError as error:
            assert str(error).startswith(path.name)
            continue
        for column in df.columns:
            assert df[column].tolist() == full[column].iloc[: len(df)].tolist(), f"cut at byte {cut}: {column}"
        if "warnings" in df.attrs:
            assert "the file looks cut off" in df.attrs["warnings"][0]
            dropped += 1
    assert dropped > 0


@pytest.mark.parametrize("text, expected_rows, warned", [
    ("freq,Z',-Z''\n1000,10.5,3.25\n100,20.5,8.75\n", 2, False),
    ("freq,Z',-Z''\n1000,10.5,3.25\n100,20.5,8.75", 2, False),  # no final line break, whole number
    ("freq,Z',-Z''\n1000,10.5,3.25\n100,20.5,8.7", 1, True),  # cut inside the last number
    ("freq,Z',-Z''\n1000,10.5,3.25\n100,20.5,", 1, True),  # cut before the last cell
    ("freq,Z',-Z''\n1000,10.5,3.25\n100,20.5,8", 1, True),
    ("freq,Z',-Z'',n\n1000,10.5,3.25,1\n100,20.5,8.75,2", 2, False),  # the cut cell is not read
])
def test_cut_last_line_is_dropped_with_a_warning(tmp_path, text, expected_rows, warned):
    df = spectrum_from_bytes(text.encode(), tmp_path / "cut.csv")
    assert len(df) == expected_rows
    assert ("warnings" in df.attrs) == warned
    if warned:
        assert df.attrs["warnings"][0].startswith("line 3 was not read: it has no line break")


def test_short_row_inside_the_file_is_an_error(tmp_path):
    with pytest.raises(FormatError, match=r"^cut\.csv, line 3: expected 4 cells as in the header \(line 1\), "
                                          r"found 3: the row is cut short$"):
        spectrum_from_bytes(b"freq,Z',-Z'',n\n1000,10.5,3.25,1\n100,20.5,8.75\n10,30,2,3\n", tmp_path / "cut.csv")


def test_only_a_cut_line_is_an_error(tmp_path):
    with pytest.raises(FormatError, match=r"line 1: expected numeric data rows after the header, found only a cut"):
        spectrum_from_bytes(b"freq,Z',-Z''\n1000,10.5,3.2", tmp_path / "cut.csv")


# --- generated spectra, cut anywhere ------------------------------------------------------------

magnitudes = st.floats(min_value=1e-3, max_value=1e7, allow_nan=False)
signed = st.tuples(st.sampled_from([-1.0, 1.0]), magnitudes).map(lambda t: t[0] * t[1])
spectra = st.lists(st.tuples(magnitudes, magnitudes, signed), min_size=2, max_size=12)


def _eclab(rows, decimal_comma):
    header = ["EC-Lab ASCII FILE", "Nb header lines : 4", "", "freq/Hz\tRe(Z)/Ohm\t-Im(Z)/Ohm\tcycle number"]
    lines = [f"{f:.7E}\t{zr:.7E}\t{-zi:.7E}\t1.000000000000000E+000" for f, zr, zi in rows]
    text = "\r\n".join(header + lines)  # EC-Lab writes no line break after the last row
    return (text.replace(".", ",") if decimal_comma else text).encode("latin-1")


def _written(tmp_path, rows, layout):
    import pandas as pd

    frame = pd.DataFrame(rows, columns=["frequency_hz", "z_real_ohm", "z_imag_ohm"])
    if layout == "csv":
        return write_csv(frame, tmp_path / "s.csv").read_bytes(), tmp_path / "s.csv"
    if layout == "z":
        return write_zview(frame, tmp_path / "s.z").read_bytes(), tmp_path / "s.z"
    return _eclab(rows, layout == "eclab-comma"), tmp_path / "s.mpt"


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("cut")


@settings(max_examples=GENERATED_CUTS, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=spectra, layout=st.sampled_from(["csv", "z", "eclab", "eclab-comma"]), where=st.floats(0, 1))
def test_generated_spectrum_cut_anywhere(scratch, rows, layout, where):
    data, path = _written(scratch, rows, layout)
    full = spectrum_from_bytes(data, path)
    assert len(full) == len(rows)
    cut = int(where * len(data))
    df = _check_cut(data, cut, path, _rows(full))
    if df is not None and cut < len(data):
        # a cut inside the last row never yields that row
        last_row_start = data.rstrip(b"\r\n").rfind(b"\n") + 1
        if last_row_start < cut < len(data.rstrip(b"\r\n")):
            assert len(df) < len(rows)
