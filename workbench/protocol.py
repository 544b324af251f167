"""What is a protocol file? A TOML file naming the sample and the procedure with its parameters.

::

    description = "The paper's CCD test"

    [sample]
    name = "NZSP-AS-01"
    surface_state = "as sintered"
    thickness_mm = 1.70
    electrode_diameter_mm = 8.5

    [procedure]
    kind = "ccd"                          # impedance_sweep | plating_stripping | ccd | formation |
    start_current_density_mA_cm2 = 0.5    # temperature_step | sequence
    ...

    [safety]                              # optional: thresholds of the short detector
    soft_short_drop_fraction = 0.3

Everything is checked before anything starts: a mistake raises ``ProtocolError`` naming the file, the
key and what was expected.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.cell import Sample, SampleError
from workbench.procedures import PROCEDURES, Procedure
from workbench.procedures.parameters import ParameterError, build
from workbench.safety import ShortCriteria

TOP_LEVEL_KEYS = ("description", "sample", "procedure", "safety")
SAMPLE_KEYS = ("name", "surface_state", "thickness_mm", "electrode_diameter_mm", "notes")


class ProtocolError(ValueError):
    """A protocol file is wrong; the message names the file, the key and what was expected."""


@dataclass(frozen=True)
class Protocol:
    sample: Sample
    parameters: Any
    kind: str
    criteria: ShortCriteria
    description: str = ""
    path: Path | None = None

    def procedure(self) -> Procedure:
        return PROCEDURES[self.kind](self.parameters)


def load_protocol(path: str | Path) -> Protocol:
    """Read and check a protocol file."""
    path = Path(path)
    from instruments.bench import toml_text

    try:
        text = toml_text(path.read_bytes())
    except OSError as exc:
        raise ProtocolError(f"{path}: cannot read the protocol file ({exc.strerror or exc}).") from None
    except ValueError as exc:
        raise ProtocolError(f"{path}: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProtocolError(f"{path}: not valid TOML: {exc}.") from None
    except RecursionError:
        raise ProtocolError(f"{path}: not valid TOML: arrays or tables nested too deeply.") from None
    return parse_protocol(data, path)


def parse_protocol(data: Mapping[str, Any], source: str | Path = "<protocol>") -> Protocol:
    """Check a parsed protocol mapping and build its sample and parameters."""
    where = str(source)
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            raise ProtocolError(f"{where}: unknown key '{key}'; expected {', '.join(TOP_LEVEL_KEYS)}.")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise ProtocolError(f"{where}: 'description' must be text, got {description!r}.")
    sample = _sample(data.get("sample"), where)
    procedure = data.get("procedure")
    if not isinstance(procedure, Mapping):
        raise ProtocolError(
            f"{where}: missing [procedure] table (with a 'kind' key: {', '.join(PROCEDURES)})."
        )
    kind = procedure.get("kind")
    if not isinstance(kind, str) or kind not in PROCEDURES:
        raise ProtocolError(
            f"{where}: 'procedure.kind' must be one of {', '.join(PROCEDURES)}, got {kind!r}."
        )
    try:
        parameters = build(
            PROCEDURES[kind].Parameters, {k: v for k, v in procedure.items() if k != "kind"}, "procedure"
        )
        criteria = build(ShortCriteria, data.get("safety", {}), "safety")
    except ParameterError as exc:
        raise ProtocolError(f"{where}: {exc}") from None
    try:
        PROCEDURES[kind](parameters).checked_plan(sample)
    except ParameterError as exc:
        raise ProtocolError(f"{where}: '{'.'.join(filter(None, ('procedure', exc.field)))}' {exc.message}") from None
    return Protocol(
        sample, parameters, kind, criteria, description, Path(source) if not where.startswith("<") else None
    )


def _sample(table: Any, where: str) -> Sample:
    if not isinstance(table, Mapping):
        raise ProtocolError(f"{where}: missing [sample] table (keys: {', '.join(SAMPLE_KEYS[:4])}).")
    for key in table:
        if key not in SAMPLE_KEYS:
            raise ProtocolError(f"{where}: unknown key 'sample.{key}'; expected {', '.join(SAMPLE_KEYS)}.")
    for key in SAMPLE_KEYS[:4]:
        if key not in table:
            raise ProtocolError(f"{where}: 'sample.{key}' is missing; it is required.")
    try:
        return Sample(**table)
    except SampleError as exc:
        raise ProtocolError(f"{where}: 'sample.{exc.field}' {str(exc).split(': ', 1)[1]}") from None
