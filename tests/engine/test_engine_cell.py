import math

import pytest

from workbench.cell import PAPER_SURFACE_STATES, Sample, SampleError, parse_surface_state


def test_paper_geometry_area():
    sample = Sample("A1", "as sintered", 1.70, 8.5)
    assert sample.area_cm2 == pytest.approx(math.pi * 0.425**2)
    assert sample.area_cm2 == pytest.approx(0.5675, abs=1e-4)
    assert sample.thickness_cm == pytest.approx(0.170)
    assert sample.current_a(0.5) == pytest.approx(0.2837e-3, rel=1e-3)


@pytest.mark.parametrize(
    "text, name",
    [
        ("NZSP_EtOH500-anneal", "EtOH500-anneal"),
        ("NZSP_{EtOH500-anneal}", "EtOH500-anneal"),
        ("etoh 500 anneal", "EtOH500-anneal"),
        ("Dry4000", "dry4000"),
        ("dry_1200", "dry1200"),
        ("ethanol2400", "EtOH2400"),
        ("as-sintered", "as sintered"),
        ("NZSP as sintered", "as sintered"),
    ],
)
def test_parser_accepts_notebook_forms(text, name):
    assert parse_surface_state(text).name == name


def test_paper_states_round_trip_and_activation():
    for name in PAPER_SURFACE_STATES:
        assert parse_surface_state(name).name == name
    assert parse_surface_state("as sintered").thermally_activated
    assert parse_surface_state("dry4000-anneal").thermally_activated
    assert not parse_surface_state("EtOH4000").thermally_activated


@pytest.mark.parametrize(
    "text, words",
    [
        ("EtOH600", "grit 600"),
        ("wet500", "not a surface state"),
        ("", "not a surface state"),
    ],
)
def test_parser_refuses_with_a_useful_message(text, words):
    with pytest.raises(SampleError, match=words):
        parse_surface_state(text)


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"name": ""}, "name"),
        ({"thickness_mm": -1.7}, "thickness_mm"),
        ({"thickness_mm": "thick"}, "thickness_mm"),
        ({"electrode_diameter_mm": 0}, "electrode_diameter_mm"),
        ({"electrode_diameter_mm": 85}, "electrode_diameter_mm"),
        ({"surface_state": "polished"}, "surface_state"),
    ],
)
def test_sample_validation_names_the_field(kwargs, field):
    args = {"name": "A1", "surface_state": "as sintered", "thickness_mm": 1.7, "electrode_diameter_mm": 8.5}
    with pytest.raises(SampleError) as info:
        Sample(**{**args, **kwargs})
    assert info.value.field == field
    assert str(info.value).startswith(field)


def test_sample_normalises_surface_state():
    assert Sample("A", "NZSP_dry4000", 1.7, 8.5).surface_state == "dry4000"
