"""Malformed files raise FormatError naming the file, the line and what was expected."""

import pytest
from conftest import DATA

from workbench.formats import FormatError, read_spectrum


def _mutated(tmp_path, sample, name, edit):
    lines = (DATA / sample).read_bytes().decode("latin-1").split("\r\n")
    edit(lines)
    path = tmp_path / name
    path.write_bytes("\r\n".join(lines).encode("latin-1"))
    return path


def _replace_line(index, text):
    def edit(lines):
        lines[index] = text
    return edit


def _data_start(sample):
    lines = (DATA / sample).read_bytes().decode("latin-1").split("\r\n")
    prefix = {"eclab_peis.mpt": "1.0000000E+05\t", "gamry_eispot.DTA": "\t0\t1\t100000\t",
              "zplot_sweep.z": "1.000000E+05\t"}[sample]
    return next(i for i, line in enumerate(lines) if line.startswith(prefix))


@pytest.mark.parametrize("sample", ["eclab_peis.mpt", "gamry_eispot.DTA", "zplot_sweep.z"])
def test_non_numeric_cell_names_file_and_line(tmp_path, sample):
    index = _data_start(sample) + 2
    original = (DATA / sample).read_bytes().decode("latin-1").split("\r\n")[index]
    broken = original.replace(original.split("\t")[0 if sample != "gamry_eispot.DTA" else 3], "abc", 1)
    path = _mutated(tmp_path, sample, "broken" + sample[sample.rfind("."):], _replace_line(index, broken))
    with pytest.raises(FormatError) as caught:
        read_spectrum(path)
    message = str(caught.value)
    assert message.startswith(f"{path.name}, line {index + 1}: expected 3 numeric columns (")
    assert "found 'abc'" in message
    assert caught.value.line == index + 1


def test_message_lists_the_biologic_columns(tmp_path):
    index = _data_start("eclab_peis.mpt")
    path = _mutated(tmp_path, "eclab_peis.mpt", "sample.mpt", _replace_line(index, "abc"))
    with pytest.raises(FormatError, match=r"^sample\.mpt, line \d+: expected 3 numeric columns "
                                          r"\(freq/Hz, Re\(Z\)/Ohm, -Im\(Z\)/Ohm\), found 'abc'$"):
        read_spectrum(path)


@pytest.mark.parametrize("value, expected", [("nan", "non-finite"), ("inf", "non-finite"), ("-Infinity", "non-finite"),
                                             ("1e999", "non-finite"), ("0", "frequency must be positive"),
                                             ("-10", "frequency must be positive")])
def test_bad_values_in_csv(tmp_path, value, expected):
    path = tmp_path / "bad.csv"
    path.write_text(f"freq,Z',-Z''\n1000,10,3\n{value},11,4\n")
    with pytest.raises(FormatError, match=rf"^bad\.csv, line 3: {expected}"):
        read_spectrum(path)


def test_nan_in_impedance_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("freq,Z',-Z''\n1000,NaN,3\n")
    with pytest.raises(FormatError, match=r"line 2: non-finite value 'NaN' in column Z'"):
        read_spectrum(path)


def test_zero_frequency_with_nonzero_impedance_is_not_skipped(tmp_path):
    path = tmp_path / "dc.txt"
    path.write_text("Frequency (Hz)\tZre (ohms)\tZim (ohms)\n0\t5\t0\n")
    with pytest.raises(FormatError, match="line 2: frequency must be positive"):
        read_spectrum(path)


@pytest.mark.parametrize("content, suffix, expected", [
    (b"", ".mpt", "empty file"),
    (b"\n\n  \n", ".csv", "empty file"),
    (b"freq,Z',Z''\n", ".csv", "line 1: expected numeric data rows after the header, found none"),
    (b"freq,Z',Z''\n# only a comment\n", ".csv", "found none"),
    (b"EC-Lab ASCII FILE\nNb header lines : 40\n", ".mpt", "line 2: header of 40 lines"),
    (b"EC-Lab ASCII FILE\nheader lines unknown\n", ".mpt", "line 2: expected 'Nb header lines : N'"),
    (b"EC-Lab ASCII FILE\nNb header lines : 3\n\nfoo\tbar\n", ".mpt", "line 3: expected the column header"),
    (b"EXPLAIN\nTAG\tEISPOT\n", ".DTA", "line 2: expected a 'ZCURVE<TAB>TABLE' block"),
    (b"EXPLAIN\nZCURVE\tTABLE\n\tPt\tTime\n", ".DTA", "line 3: expected column names including Freq"),
    (b"EXPLAIN\nZCURVE\tTABLE\n\tPt\tFreq\tZreal\tZimag\n\t#\tHz\tohm\tohm\n", ".DTA", "line 3: expected numeric"),
    (b"ZPLOT2 ASCII\n  Date: 1\n", ".z", "line 2: expected a line 'End Comments'"),
    (b"ZPLOT2 ASCII\nEnd Comments\n1,2,3\n", ".z", "line 3: expected 3 numeric columns"),
    (b"hello world\n", ".xyz", "line 1: unrecognised impedance file"),
    (b"just one column\nof words\n", ".csv", "no column found for frequency, Z', Z''"),
    (b"\x00\x01\x02\xff\xfe", ".mpr", "expected the EC-Lab .mpr file magic"),
    (b"\x00\x01\x02\xff\xfe", ".bin", "unrecognised impedance file"),
    (b"<Application>\nName=VersaStudio\n</Application>\n", ".par", "expected a <Segment1> section"),
    (b"<Application>\nName=x\n</Application>\n<Segment1>\nDefinition=a, b, c\n1,2,3\n</Segment1>\n", ".par",
     "line 5: expected columns Frequency(Hz), Z Real, Z Imag"),
    (b"<Application>\nName=x\n<Segment1>\n", ".par", "line 3: expected </Application>"),
])
def test_malformed_files(tmp_path, content, suffix, expected):
    path = tmp_path / f"sample{suffix}"
    path.write_bytes(content)
    with pytest.raises(FormatError) as caught:
        read_spectrum(path)
    assert str(caught.value).startswith(path.name)
    assert expected in str(caught.value)


def test_truncated_row_names_its_line(tmp_path):
    path = tmp_path / "short.z"
    text = (DATA / "zplot_comma.z").read_text()
    path.write_text(text + "1.0E-01, 1.0E-02\n")
    with pytest.raises(FormatError, match=r"short\.z, line 23: expected 3 numeric columns .* found "):
        read_spectrum(path)


def test_biologic_point_outside_every_loop(tmp_path):
    def edit(lines):
        lines[12] = "Loop 1 from point number 3 to 4"
    path = _mutated(tmp_path, "eclab_peis_eu.mpt", "loops.mpt", edit)
    with pytest.raises(FormatError, match="data point 5 is in none of the header's loops"):
        read_spectrum(path)


def test_format_error_is_a_value_error():
    assert issubclass(FormatError, ValueError)
    error = FormatError("/some/dir/x.mpt", 7, "expected y")
    assert (str(error), error.line, error.path) == ("x.mpt, line 7: expected y", 7, "/some/dir/x.mpt")
