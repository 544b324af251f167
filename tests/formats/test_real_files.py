"""Readers against real instrument exports, when the shared reference folder is present."""

from pathlib import Path

import numpy as np
import pytest

from workbench.formats import read_spectrum

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "impedance-files"
pytestmark = pytest.mark.skipif(not REFERENCE.is_dir(), reason="reference impedance files not available")

# file: (format, rows, first frequency / Hz, first Z' / ohm, first Z'' / ohm)
EXPECTED = {
    "exampleDataBioLogic.mpt": ("biologic", 43, 1000.3201, 65.470886, -0.38998979),
    "peis.issue_149.mpt": ("biologic", 84, 199998.14, 12.753284, -0.96167845),
    "240222-EIS-Fe2Fe3_5mM-HCl1M-0RPM-Ag_AgCl_BLF8-GC-RDE-5minVsOCV-5ppf-3scans_C15.mpt":
        ("biologic", 268, 399996.28, 3.6582677, -1.5779148),
    "exampleDataGamry.DTA": ("gamry", 72, 200015.6, 825.8584, -1367.239),
    "DHM-Cudmp_EISPOT - Copy.DTA": ("gamry", 58, 100019.5, 59.89103, -11.25287),
    "data.dta": ("gamry", 29, 10000.0, 109.00918219439, -26.5556798765152),
    "exampleDataZPlot.z": ("zview", 21, 300000.0, 147.77, -11.335),
    "exampleDataAutolab.txt": ("zview", 41, 10000.0, 0.013785863964281, 0.007191946305823),
    "exampleDataCHInstruments.txt": ("chi", 73, 99610.0, 98.91, -2.748),
    "exampleDataParstat.txt": ("csv", 31, 10000.0, -0.00049816280376104, 0.0175143479976367),
    "exampleDataVersaStudio.par": ("versastudio", 61, 100000.0, 55.31571, 4.575431),
    "milosz_EIS_POTENTIAL_1_1.DTA": ("gamry", 51, 100019.5, 6.894127, -1.085344),
    "yadg_peis.issue_225.no_ece.mpt": ("biologic", 32, 199998.14, 1.2274132, -0.11227046),
    # 32-bit floats in the binary file
    "yadg_peis.mpr": ("biologic-mpr", 32, 199998.140625, 10.512295722961426, -0.7304766178131104),
}


def test_every_shared_file_is_covered():
    assert {p.name for p in REFERENCE.iterdir() if p.name != "README.md"} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_file(name):
    fmt, rows, f0, zr0, zi0 = EXPECTED[name]
    df = read_spectrum(REFERENCE / name)
    assert df.attrs["format"] == fmt
    assert len(df) == rows
    np.testing.assert_allclose(df.iloc[0][["frequency_hz", "z_real_ohm", "z_imag_ohm"]].to_numpy(dtype=float),
                               [f0, zr0, zi0], rtol=1e-9)


def test_real_biologic_cycles_and_loops():
    sweeps = read_spectrum(REFERENCE / next(n for n in EXPECTED if "3scans" in n))
    # "nc cycles 3": the first sweep and three repeats, 67 points each
    assert sweeps["cycle"].value_counts().sort_index().to_dict() == {1: 67, 2: 67, 3: 67, 4: 67}
    loops = read_spectrum(REFERENCE / "peis.issue_149.mpt")
    assert loops["loop"].value_counts().sort_index().tolist() == [21, 21, 21, 21]
    assert loops.attrs["instrument"] == "SP-300 (SN 1854)"


def test_real_files_have_no_warnings_and_sweeps_where_expected():
    for name in EXPECTED:
        assert "warnings" not in read_spectrum(REFERENCE / name).attrs, name
    sweeps = read_spectrum(REFERENCE / next(n for n in EXPECTED if "3scans" in n))
    assert sweeps["sweep"].tolist() == sweeps["cycle"].tolist()
    loops = read_spectrum(REFERENCE / "peis.issue_149.mpt")
    assert loops["sweep"].value_counts().sort_index().tolist() == [21, 21, 21, 21]


def test_real_mpr_is_self_consistent():
    """The binary file's |Z| and phase columns agree with its Re(Z) and -Im(Z): the record layout is right."""
    from workbench.formats.eclab_mpr import read_mpr

    mpr = read_mpr((REFERENCE / "yadg_peis.mpr").read_bytes(), "yadg_peis.mpr")
    c = mpr.columns
    assert mpr.technique == "PEIS" and mpr.n_points == 32
    np.testing.assert_allclose(np.hypot(c["Re(Z)/Ohm"], c["-Im(Z)/Ohm"]), c["|Z|/Ohm"], rtol=1e-6)
    np.testing.assert_allclose(np.degrees(np.arctan2(-c["-Im(Z)/Ohm"], c["Re(Z)/Ohm"])), c["Phase(Z)/deg"], atol=1e-4)
    np.testing.assert_allclose(c["|Ewe|/V"] / c["|I|/A"], c["|Z|/Ohm"], rtol=1e-6)


def test_versastudio_metadata():
    df = read_spectrum(REFERENCE / "exampleDataVersaStudio.par")
    assert df.attrs["instrument"] == "VersaSTAT4 (SN 16334007)"
    assert df.attrs["area_cm2"] == 1.0
    assert (df["z_imag_ohm"].iloc[-10:] < 0).all()  # capacitive at low frequency: Z Imag has its physical sign


CYCLING = REFERENCE.parent / "cycling-files"
# file: (format, rows, first time / s, first voltage / V, first current / A, current source, last time / s)
EXPECTED_CYCLING = {
    "yadg_gcpl.issue_226.I.mpt": ("eclab", 15, 0.04819999878236558, -0.050306384, 0.0, "measured", 118.8655969972024),
    "yadg_gcpl.issue_226.I.mpr": ("eclab-mpr", 15, 0.04819999878236558, -0.050306384, 1.2e-4, "set-point",
                                  118.8655969972024),
    "yadg_cp.issue_61.mpt": ("eclab", 312, 1557.303214959975, 1.6626049, 0.24974144, "measured", 1856.332607405857),
    "cellpy_maccor_002.txt": ("maccor", 7446, 0.0, 0.1783, 0.0, "measured", 3809.841833 * 60),
    "cellpy_neware_uio.csv": ("neware", 9065, 0.0, 2.917, 0.0, "measured", 144 * 3600 + 2 * 60 + 18),
    "beep_FastCharge_000025_CH8.csv": ("arbin", 248, 10.0024, 3.3011441, 0.0, "measured", 1800.0104),
}


@pytest.mark.skipif(not CYCLING.is_dir(), reason="reference cycling files not available")
def test_every_shared_cycling_file_is_covered():
    assert {p.name for p in CYCLING.iterdir() if p.name != "README.md"} == set(EXPECTED_CYCLING)


@pytest.mark.skipif(not CYCLING.is_dir(), reason="reference cycling files not available")
@pytest.mark.parametrize("name", sorted(EXPECTED_CYCLING))
def test_real_cycling_file(name):
    from workbench.formats.cycling import read_cycling

    fmt, rows, t0, v0, i0, source, t_end = EXPECTED_CYCLING[name]
    df = read_cycling(CYCLING / name)
    assert (df.attrs["format"], len(df), df.attrs["current_source"]) == (fmt, rows, source)
    np.testing.assert_allclose(df.iloc[0][["time_s", "voltage_v", "current_a"]].to_numpy(dtype=float), [t0, v0, i0],
                               rtol=1e-6, atol=1e-12)
    assert df["time_s"].iloc[-1] == pytest.approx(t_end, rel=1e-9)
    assert "warnings" not in df.attrs


@pytest.mark.skipif(not CYCLING.is_dir(), reason="reference cycling files not available")
def test_real_gcpl_mpr_matches_its_mpt_export():
    """The same run saved as .mpr and exported as .mpt: same times and voltages; the .mpr's set-point
    current agrees with the current EC-Lab computed for the export once the half-cycle has started."""
    from workbench.formats.cycling import read_cycling

    binary = read_cycling(CYCLING / "yadg_gcpl.issue_226.I.mpr")
    text = read_cycling(CYCLING / "yadg_gcpl.issue_226.I.mpt")
    np.testing.assert_allclose(binary["time_s"], text["time_s"], rtol=1e-12)
    np.testing.assert_allclose(binary["voltage_v"], text["voltage_v"], rtol=1e-6)
    assert binary["half_cycle"].tolist() == text["half_cycle"].tolist()
    steady = text["current_a"].abs() > 0.9 * 1.2e-4
    np.testing.assert_allclose(binary["current_a"][steady], text["current_a"][steady], rtol=1e-3)
