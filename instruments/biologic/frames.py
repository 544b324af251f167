"""How are the words returned by BL_GetData decoded? By technique, process index and board type.

``BL_GetData`` fills a buffer of 1000 uint32 words with ``NbRows`` rows of ``NbCols`` words, all from
one technique (``TechniqueID``) and one process (``ProcessIndex``). Integer columns are plain words;
single-precision columns hold IEEE-754 bit patterns, converted by the library's conversion function
(``BL_ConvertNumericIntoSingle``, or ``BL_ConvertChannelNumericIntoSingle`` with the board type). The
time of a row is ``StartTime + TimeBase * ((t_high << 32) + t_low)``, StartTime from ``TDataInfos`` and
TimeBase from ``TCurrentValues`` (a NaN StartTime counts as 0, as easy-biologic does).

Layouts (``shared/reference/instrument-protocols.md`` 2.4, easy-biologic ``lib/data_parser.py``), for
PREMIUM boards (SP-300 family, the VMP-300); ESSENTIAL boards (VMP3 family) add a column to OCV
(control) and to PEIS/GEIS process 1 (I range):

=========================  ================================================================================
OCV                        t_high t_low Ewe
CA, CP                     t_high t_low Ewe I cycle
PEIS, GEIS process 0       t_high t_low Ewe I
PEIS, GEIS process 1       freq |Ewe| |I| phase_Zwe Ewe I - |Ece| |Ice| phase_Zce Ece - - t
=========================  ================================================================================

A frame of any other width is refused (``FrameError``) rather than read shifted. phase_Zwe is taken in
degrees: a passive cell's phase stays within +-90 degrees, and the one public sample dump of PEIS words
(phases +0.97 ... -1.98) would be -113 degrees if read as radians. This is not confirmed by a manual;
``instruments/biologic/README.md`` says how to check it on a real VMP-300.
"""

from __future__ import annotations

import cmath
import math
from collections.abc import Callable
from dataclasses import dataclass

from instruments.biologic.binding import (
    BOARD_ESSENTIAL,
    TECHNIQUE_ID,
    CurrentValues,
    DataInfos,
)

TECHNIQUE_NAME = {v: k for k, v in TECHNIQUE_ID.items()}
INTEGER_COLUMNS = {"t_high", "t_low", "cycle", "-"}

_TIME_EI = ("t_high", "t_low", "Ewe", "I")
_FREQUENCY = ("freq", "|Ewe|", "|I|", "phase_Zwe", "Ewe", "I", "-", "|Ece|", "|Ice|", "phase_Zce", "Ece", "-", "-",
              "t")
#: (technique, process) -> column names on a PREMIUM board
COLUMNS: dict[tuple[str, int], tuple[str, ...]] = {
    ("OCV", 0): ("t_high", "t_low", "Ewe"),
    ("CA", 0): (*_TIME_EI, "cycle"),
    ("CP", 0): (*_TIME_EI, "cycle"),
    ("PEIS", 0): _TIME_EI,
    ("PEIS", 1): _FREQUENCY,
    ("GEIS", 0): _TIME_EI,
    ("GEIS", 1): _FREQUENCY,
}
#: extra columns of an ESSENTIAL board
ESSENTIAL_EXTRA = {("OCV", 0): ("control",), ("PEIS", 1): ("I_range",), ("GEIS", 1): ("I_range",)}


class FrameError(ValueError):
    """A data frame that does not have the documented layout."""


@dataclass(frozen=True)
class TimeRecord:
    """One recorded sample of OCV, CA, CP or the step before an impedance sweep."""

    technique: str
    technique_index: int
    time_s: float
    ewe_v: float
    i_a: float | None = None
    cycle: int | None = None


@dataclass(frozen=True)
class FrequencyRecord:
    """One frequency of PEIS or GEIS (process 1)."""

    technique: str
    technique_index: int
    time_s: float
    frequency_hz: float
    ewe_amplitude_v: float
    i_amplitude_a: float
    phase_deg: float
    ewe_v: float
    i_a: float

    @property
    def impedance_ohm(self) -> complex:
        return cmath.rect(self.ewe_amplitude_v / self.i_amplitude_a, math.radians(self.phase_deg))


def columns(technique: str, process: int, board_type: int) -> tuple[str, ...]:
    key = (technique, process)
    if key not in COLUMNS:
        raise FrameError(f"{technique} has no process {process} in the documented layouts")
    extra = ESSENTIAL_EXTRA.get(key, ()) if board_type == BOARD_ESSENTIAL else ()
    return COLUMNS[key] + extra


def decode(infos: DataInfos, values: CurrentValues, words: list[int], *, board_type: int,
           to_single: Callable[[int], float]) -> list[TimeRecord | FrequencyRecord]:
    """The records of one ``BL_GetData`` frame (empty when ``NbRows`` is 0)."""
    if infos.NbRows <= 0:
        return []
    technique = TECHNIQUE_NAME.get(infos.TechniqueID)
    if technique is None or (technique, infos.ProcessIndex) not in COLUMNS:
        raise FrameError(f"technique ID {infos.TechniqueID} process {infos.ProcessIndex} is not one the "
                         "drivers load")
    names = columns(technique, infos.ProcessIndex, board_type)
    if infos.NbCols != len(names):
        raise FrameError(f"{technique} process {infos.ProcessIndex} frame with {infos.NbCols} columns; the "
                         f"documented layout has {len(names)} ({' '.join(names)})")
    if infos.NbRows * infos.NbCols > len(words):
        raise FrameError(f"{infos.NbRows} rows of {infos.NbCols} words announced, {len(words)} words received")
    start = 0.0 if math.isnan(infos.StartTime) else float(infos.StartTime)
    out: list[TimeRecord | FrequencyRecord] = []
    for r in range(infos.NbRows):
        raw = words[r * infos.NbCols:(r + 1) * infos.NbCols]
        row = {name: (w if name in INTEGER_COLUMNS else to_single(w)) for name, w in zip(names, raw, strict=True)}
        if infos.ProcessIndex == 1:
            record = FrequencyRecord(technique, infos.TechniqueIndex, start + row["t"], row["freq"], row["|Ewe|"],
                                     row["|I|"], row["phase_Zwe"], row["Ewe"], row["I"])
            if not (record.frequency_hz > 0 and record.i_amplitude_a > 0 and math.isfinite(record.ewe_amplitude_v)
                    and math.isfinite(record.phase_deg)):
                raise FrameError(f"{technique} row {r} is not a measurement: f = {record.frequency_hz:g} Hz, "
                                 f"|Ewe| = {record.ewe_amplitude_v:g} V, |I| = {record.i_amplitude_a:g} A, "
                                 f"phase = {record.phase_deg:g}")
        else:
            ticks = (row["t_high"] << 32) + row["t_low"]
            record = TimeRecord(technique, infos.TechniqueIndex, start + values.TimeBase * ticks, row["Ewe"],
                                row.get("I"), row.get("cycle"))
            if not math.isfinite(record.ewe_v) or (record.i_a is not None and not math.isfinite(record.i_a)):
                raise FrameError(f"{technique} row {r} holds a value that is not a number")
        out.append(record)
    return out
