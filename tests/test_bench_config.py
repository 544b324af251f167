"""Bench config files: the shipped default, and clear messages for every mistake."""

import pytest

from instruments.bench import DEFAULT_CONFIG, ConfigError, load_config


def test_default_config_is_all_emulated():
    config = load_config()
    assert config.path == DEFAULT_CONFIG
    assert set(config.roles) == {"fra", "galvanostat", "stage"}
    assert all(spec.emulated for spec in config.roles.values())
    assert config.roles["fra"].resource == "GPIB0::4::INSTR"
    assert config.roles["galvanostat"].resource == "GPIB0::24::INSTR"
    assert config.roles["stage"].resource == "ASRL1::INSTR"
    assert config.cell == "as sintered"


def _write(tmp_path, text):
    path = tmp_path / "bench.toml"
    path.write_text(text)
    return path


ROLES = """
[fra]
driver = "solartron1260"
resource = "GPIB0::4::INSTR"
[galvanostat]
driver = "keithley2400"
resource = "GPIB0::24::INSTR"
[stage]
driver = "linkam_t95"
resource = "ASRL1::INSTR"
"""


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[fra\n", "not valid TOML"),
        (ROLES.replace("solartron1260", "hp4192"), "'fra.driver' is 'hp4192'; expected one of"),
        (ROLES.replace('resource = "ASRL1::INSTR"', "resource = 3"), "'stage.resource' must be a VISA"),
        (ROLES.replace("[stage]", "[oven]"), "unknown section [oven]"),
        ("[bench]\nspeed = -1\n" + ROLES, "'bench.speed' must be from 0.001 to 1e+09"),
        ("[bench]\nspeed = 10\n" + ROLES.replace('"ASRL1::INSTR"', '"ASRL1::INSTR"\nemulated = false'),
         "cannot run faster than real time"),
        (ROLES.replace("[galvanostat]\ndriver", "[galvanostat]\nemulated = 'yes'\ndriver"),
         "'galvanostat.emulated' must be true or false"),
        ("[fra]\ndriver='solartron1260'\nresource='x'\n", "missing section [galvanostat]"),
    ],
)
def test_mistakes_are_named(tmp_path, text, needle):
    with pytest.raises(ConfigError) as info:
        load_config(_write(tmp_path, text))
    assert needle in str(info.value)
    assert "bench.toml" in str(info.value)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read the bench config"):
        load_config(tmp_path / "nope.toml")


def test_one_line_swaps_a_role_to_the_real_instrument(tmp_path):
    text = DEFAULT_CONFIG.read_text().replace(
        'resource = "GPIB0::24::INSTR"\nemulated = true', 'resource = "GPIB0::24::INSTR"\nemulated = false'
    )
    config = load_config(_write(tmp_path, text))
    assert not config.roles["galvanostat"].emulated
    assert config.roles["fra"].emulated


def test_a_real_instrument_that_cannot_be_opened(tmp_path):
    from instruments.bench import Bench

    text = DEFAULT_CONFIG.read_text().replace(
        'resource = "GPIB0::4::INSTR"\nemulated = true', 'resource = "GPIB0::4::INSTR"\nemulated = false'
    )
    path = _write(tmp_path, text)
    with pytest.raises(Exception, match="Solartron 1260 at GPIB0::4::INSTR"):
        Bench.from_config(path)
    bench = Bench.from_config(path, keep_going=True)  # the window starts with that role disconnected
    try:
        assert bench.instrument("fra") is None
        assert "Solartron 1260 at GPIB0::4::INSTR" in bench.connection_errors["fra"]
        assert bench.instrument("galvanostat") is not None
        with pytest.raises(RuntimeError, match="disconnected"):
            bench.fra  # noqa: B018
    finally:
        bench.close()
    with pytest.raises(ConfigError, match="cannot run faster than real time"):
        Bench.from_config(path, speed=10)
