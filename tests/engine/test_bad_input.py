"""Bad protocols, bench configs and options: refused with the file, the key and what was expected, in
bounded time, never a traceback or a silent default; absurd magnitudes refused with the limit."""

from __future__ import annotations

import copy
import math
import time
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from instruments.bench import DEFAULT_CONFIG, ConfigError, load_config, parse_config
from workbench import cli
from workbench.procedures.parameters import MAX_RUN_POINTS, MAX_RUN_S
from workbench.protocol import ProtocolError, load_protocol, parse_protocol

ROOT = Path(__file__).resolve().parents[2]
PROTOCOLS = sorted((ROOT / "resources" / "protocols").glob("*.toml"))
EIS = ROOT / "resources" / "protocols" / "paper_eis_sweep.toml"
PLATING = ROOT / "resources" / "protocols" / "plating_stripping.toml"
CCD = ROOT / "resources" / "protocols" / "ccd_constant_capacity.toml"


def run_cli(capsys, *args) -> tuple[int, str]:
    code = cli.main([str(a) for a in args])
    err = capsys.readouterr().err
    return code, err


def assert_one_line(err: str, *words: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


# --- files that are not UTF-8 -----------------------------------------------------------------------
NOT_UTF8 = {
    "utf-16 with BOM": lambda text: text.encode("utf-16"),
    "utf-16-be without BOM": lambda text: text.encode("utf-16-be"),
    "latin-1": lambda text: (text + '\n# température\n').encode("latin-1"),
    "binary": lambda text: bytes(range(256)) * 4,
}


@pytest.mark.parametrize("encoding", NOT_UTF8)
def test_a_protocol_or_config_that_is_not_utf8_is_refused_by_name(tmp_path, capsys, encoding):
    bad_protocol = tmp_path / "protocol.toml"
    bad_protocol.write_bytes(NOT_UTF8[encoding](EIS.read_text(encoding="utf-8")))
    bad_config = tmp_path / "bench.toml"
    bad_config.write_bytes(NOT_UTF8[encoding](DEFAULT_CONFIG.read_text(encoding="utf-8")))
    code, err = run_cli(capsys, "plan", bad_protocol)
    assert code == 2 and "UTF-8" in assert_one_line(err, str(bad_protocol), "not UTF-8")
    code, err = run_cli(capsys, "run", EIS, "--config", bad_config, "--store", tmp_path / "w.sqlite")
    assert code == 2 and "UTF-8" in assert_one_line(err, str(bad_config), "not UTF-8")
    assert not (tmp_path / "w.sqlite").exists(), "a bad config is refused before the store is opened"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=400))
def test_any_bytes_as_a_protocol_or_config_load_or_say_why(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("bytes")
    path = folder / "x.toml"
    path.write_bytes(data)
    for load, error in ((load_protocol, ProtocolError), (load_config, ConfigError)):
        try:
            load(path)
        except error as exc:
            assert str(path) in str(exc)


# --- absurd magnitudes ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "protocol, change, words",
    [
        (PLATING, {"cycles": 1e12}, ["'procedure.cycles'", "at most 1000000"]),
        (PLATING, {"cycles": 100_000}, ["'procedure'", "would run for", f"{MAX_RUN_S:.0f} s", "cycles"]),
        (PLATING, {"half_cycle_s": 1e300, "capacity_mAh_cm2": None}, ["'procedure.half_cycle_s'", "at most"]),
        (PLATING, {"rest_s": 1e300}, ["'procedure.rest_s'", f"{MAX_RUN_S:.0f} s"]),
        (PLATING, {"sample_period_s": 1e-300}, ["'procedure.sample_period_s'", "at least 0.001 s"]),
        (PLATING, {"cycles": 1000, "sample_period_s": 0.001}, ["would store", str(MAX_RUN_POINTS)]),
        (CCD, {"step_current_density_mA_cm2": 1e-12}, ["'procedure.step_current_density_mA_cm2'", "at least 1e-06"]),
        (CCD, {"step_current_density_mA_cm2": 1e-5}, ["'procedure.step_current_density_mA_cm2'", "at most 10000"]),
        (CCD, {"capacity_mAh_cm2": 1e300}, ["'procedure'", "would run for"]),
        (CCD, {"start_current_density_mA_cm2": 1e-300}, ["'procedure.start_current_density_mA_cm2'", "at least"]),
        (CCD, {"start_current_density_mA_cm2": 1e-6}, ["'procedure'", "would run for"]),
    ],
)
def test_absurd_magnitudes_are_refused_naming_the_key_and_the_limit(tmp_path, capsys, protocol, change, words):
    data = tomllib.loads(protocol.read_text(encoding="utf-8"))
    for key, value in change.items():
        if value is None:
            data["procedure"].pop(key, None)
        else:
            data["procedure"][key] = value
    path = tmp_path / "absurd.toml"
    path.write_text(to_toml(data), encoding="utf-8")
    t0 = time.perf_counter()
    for command in (["plan", path], ["run", path, "--speed", "inf", "--store", tmp_path / "w.sqlite"]):
        code, err = run_cli(capsys, *command)
        assert code == 2
        assert_one_line(err, str(path), *words)
    assert time.perf_counter() - t0 < 20


# --- generated protocols ----------------------------------------------------------------------------
SHIPPED = {p.stem: tomllib.loads(p.read_text(encoding="utf-8")) for p in PROTOCOLS}

toml_scalars = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 1e-300, 1e300, 1e12, 0.5, 1e-12, -0.0, 10_000_000]),
    st.text(max_size=12),
    st.booleans(),
)
toml_values = st.recursive(
    toml_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def paths(value, prefix=()):
    """Every key path of a nested mapping (lists of tables indexed)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*prefix, key)
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, dict):
                yield from paths(item, (*prefix, i))


def set_path(data, path, value):
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value


_DELETE = object()


@st.composite
def mutated_protocols(draw):
    name = draw(st.sampled_from(sorted(SHIPPED)))
    data = copy.deepcopy(SHIPPED[name])
    for _ in range(draw(st.integers(1, 3))):
        key_paths = list(paths(data))
        path = draw(st.sampled_from(key_paths))
        value = draw(st.one_of(toml_values, st.just(_DELETE)))
        set_path(data, path, value)
    if draw(st.booleans()) and isinstance(data.get("procedure"), dict):
        data["procedure"][draw(st.text(min_size=1, max_size=10))] = draw(toml_scalars)
    return name, data


PROTOCOL_SETTINGS = settings(max_examples=400, deadline=None)


@PROTOCOL_SETTINGS
@given(case=mutated_protocols())
def test_a_generated_protocol_is_planned_within_the_limits_or_refused_by_key(case):
    name, data = case
    t0 = time.perf_counter()
    try:
        protocol = parse_protocol(data, f"{name}.toml")
    except ProtocolError as exc:
        text = " ".join(str(exc).split())  # as the command line prints it: one line
        assert text.startswith(f"{name}.toml: ") and ("'" in text or "[" in text), text
        event("refused")
    else:
        event("accepted")
        plan = protocol.procedure().checked_plan(protocol.sample)
        assert math.isfinite(plan.total_duration_s) and 0 <= plan.total_duration_s <= MAX_RUN_S
        assert 0 <= plan.n_points <= MAX_RUN_POINTS
        plan.describe()
    assert time.perf_counter() - t0 < 5.0, "checking a protocol must take well under a second"


def numeric_paths(data):
    for path in paths(data):
        target = data
        for key in path:
            target = target[key]
        if isinstance(target, int | float) and not isinstance(target, bool):
            yield path


magnitudes = st.builds(
    lambda sign, exponent, mantissa: sign * mantissa * 10.0**exponent,
    st.sampled_from([1, 1, 1, -1]),
    st.integers(-320, 308),
    st.floats(1.0, 9.99),
) | st.integers(-(2**63), 2**63 - 1)


@st.composite
def rescaled_protocols(draw):
    """A shipped protocol with one to three of its numbers replaced by any magnitude."""
    name = draw(st.sampled_from(sorted(SHIPPED)))
    data = copy.deepcopy(SHIPPED[name])
    numeric = list(numeric_paths(data))
    for path in draw(st.lists(st.sampled_from(numeric), min_size=1, max_size=3, unique=True)):
        set_path(data, path, draw(magnitudes))
    return name, data


@PROTOCOL_SETTINGS
@given(case=rescaled_protocols())
def test_any_magnitude_is_planned_within_the_limits_or_refused_by_key(case):
    test_a_generated_protocol_is_planned_within_the_limits_or_refused_by_key.hypothesis.inner_test(case)


# --- bench configs ----------------------------------------------------------------------------------
BASE_CONFIG = tomllib.loads(DEFAULT_CONFIG.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "change, words",
    [
        ({"bench": 3}, ["'bench' must be a table"]),
        ({("bench", "seed"): -5}, ["'bench.seed'", "from 0 to 2**63 - 1", "-5"]),
        ({("bench", "seed"): 2.5}, ["'bench.seed'", "whole number"]),
        ({("bench", "cell"): "gold"}, ["'bench.cell'", "'gold'", "EtOH500-anneal"]),
        ({("bench", "speed"): 1e-300}, ["'bench.speed'", "from 0.001 to 1e+09"]),
        ({("bench", "speed"): "fast"}, ["'bench.speed'", "must be a number"]),
        ({("galvanostat", "colour"): "red"}, ["unknown key 'galvanostat.colour'", "keithley2400", "visa_library"]),
        ({("fra", "visa_library"): 3}, ["'fra.visa_library'", "VISA library"]),
        ({("stage", "resource"): ""}, ["'stage.resource' is empty"]),
        ({("galvanostat", "driver"): "vmp300", ("galvanostat", "channel"): True}, ["'galvanostat.channel'"]),
        ({("galvanostat", "driver"): "vmp300", ("galvanostat", "baud"): 9600}, ["unknown key 'galvanostat.baud'"]),
    ],
)
def test_config_mistakes_are_exit_2_naming_the_key(tmp_path, capsys, change, words):
    data = copy.deepcopy(BASE_CONFIG)
    for key, value in change.items():
        if isinstance(key, tuple):
            data.setdefault(key[0], {})[key[1]] = value
        else:
            data[key] = value
    path = tmp_path / "bench.toml"
    path.write_text(to_toml(data), encoding="utf-8")
    code, err = run_cli(capsys, "run", EIS, "--config", path, "--speed", "inf", "--store", tmp_path / "w.sqlite")
    assert code == 2
    assert_one_line(err, str(path), *words)


@st.composite
def mutated_configs(draw):
    data = copy.deepcopy(BASE_CONFIG)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(list(paths(data))))
        set_path(data, path, draw(st.one_of(toml_values, st.just(_DELETE))))
    if draw(st.booleans()):
        section = draw(st.sampled_from(["bench", "fra", "galvanostat", "stage"]))
        if isinstance(data.get(section), dict):
            data[section][draw(st.text(min_size=1, max_size=10))] = draw(toml_scalars)
    return data


@settings(max_examples=400, deadline=None)
@given(data=mutated_configs())
def test_a_generated_config_is_read_whole_or_refused_by_key(data):
    try:
        config = parse_config(data, "bench.toml")
    except ConfigError as exc:
        text = " ".join(str(exc).split())
        assert text.startswith("bench.toml: ") and ("'" in text or "[" in text), text
        event("refused")
        return
    event("accepted")
    assert config.speed == math.inf or 1e-3 <= config.speed <= 1e9
    assert config.seed is None or 0 <= config.seed < 2**63
    for role, spec in config.roles.items():
        assert set(spec.options) <= {"visa_library", "dll_path", "channel", "force_firmware"}, (role, spec)


# --- options ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args, words",
    [
        (["--speed", "1e-300"], ["--speed", "from 0.001"]),
        (["--speed", "nan"], ["--speed", "must be a number"]),
        (["--speed", "-3"], ["--speed"]),
        (["--speed", "abc"], ["argument --speed: invalid float value: 'abc'", "--help"]),
        (["--frobnicate"], ["unrecognized arguments: --frobnicate"]),
        (["--cell", "gold"], ["--cell", "'gold' is not a surface state"]),
        (["--cell", ""], ["--cell", "'' is not a surface state"]),
        (["--config", "/nonexistent/bench.toml"], ["/nonexistent/bench.toml", "cannot read"]),
        (["--store", "/proc/version"], ["/proc/version", "store"]),
    ],
)
def test_bad_options_are_exit_2_naming_the_option(tmp_path, capsys, args, words):
    extra = [] if "--store" in args else ["--store", tmp_path / "w.sqlite"]
    try:
        code, err = run_cli(capsys, "run", EIS, *args, *extra)
    except SystemExit as exc:  # argparse's own refusals
        code, err = exc.code, capsys.readouterr().err
    assert code == 2
    assert_one_line(err, *words)


def test_runs_and_export_make_no_store_where_there_is_none(tmp_path, capsys):
    for command in (["runs"], ["export", "1"]):
        code, err = run_cli(capsys, *command, "--store", tmp_path / "typo.sqlite")
        assert code == 2 and "no such store" in assert_one_line(err, str(tmp_path / "typo.sqlite"))
    assert not (tmp_path / "typo.sqlite").exists()


def to_toml(data, prefix="") -> str:
    """Just enough TOML writing for these tests (tables, arrays of tables, scalars, lists)."""
    scalars, tables, arrays = [], [], []
    for key, value in data.items():
        if isinstance(value, dict):
            tables.append((key, value))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            arrays.append((key, value))
        else:
            scalars.append(f"{_key(key)} = {_value(value)}")
    out = "\n".join(scalars) + "\n"
    for key, value in tables:
        name = f"{prefix}{_key(key)}"
        out += f"\n[{name}]\n" + to_toml(value, name + ".")
    for key, items in arrays:
        name = f"{prefix}{_key(key)}"
        for item in items:
            out += f"\n[[{name}]]\n" + to_toml(item, name + ".")
    return out


def _key(key) -> str:
    return key if key.replace("_", "").isalnum() and key.isascii() else '"' + key.replace('"', '\\"') + '"'


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isfinite(value):
            return repr(value)
        return "nan" if value != value else ("inf" if value > 0 else "-inf")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(value)
