"""What is on the stage: the NZSP pellet, its surface treatment and the Na electrodes.

A ``Sample`` is the Na|NZSP|Na symmetric cell as the experimenter describes it: a name, the surface
state of the pellet in the nomenclature of Quérel et al. (``as sintered``, ``EtOH500``,
``dry4000-anneal``, ...), the pellet thickness and the diameter of the Na electrodes, measured after
pressing. Every current density in the workbench is turned into a current with ``Sample.area_cm2``.

Surface-state nomenclature: the pellet is either left as sintered, or polished on SiC paper of grit
500, 1200, 2400 or 4000, with ethanol as lubricant (``EtOH``) or without (``dry``), and optionally
annealed afterwards (900 degC, 0.5 h; suffix ``-anneal``). ``parse_surface_state`` accepts the forms
found in lab notebooks and file names: ``NZSP_EtOH500-anneal``, ``etoh 500 anneal``, ``Dry4000``,
``as-sintered``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

GRIT_SIZES = (500, 1200, 2400, 4000)
SOLVENTS = ("EtOH", "dry")


class SampleError(ValueError):
    """A sample description is wrong: says which field, what is wrong and what to do."""

    def __init__(self, field_name: str, message: str):
        self.field = field_name
        self.message = message
        super().__init__(f"{field_name}: {message}")


@dataclass(frozen=True)
class SurfaceState:
    """How the pellet surface was prepared: polishing solvent and grit, and whether it was annealed."""

    solvent: str | None = None
    grit: int | None = None
    annealed: bool = False

    def __post_init__(self) -> None:
        if (self.solvent is None) != (self.grit is None):
            raise SampleError("surface_state", "a polished surface needs both a solvent and a grit size.")
        if self.solvent is not None and self.solvent not in SOLVENTS:
            raise SampleError("surface_state", f"solvent must be one of {SOLVENTS}, got {self.solvent!r}.")
        if self.grit is not None and self.grit not in GRIT_SIZES:
            raise SampleError("surface_state", f"SiC grit must be one of {GRIT_SIZES}, got {self.grit!r}.")
        if self.annealed and self.solvent is None:
            raise SampleError("surface_state", "only a polished pellet is annealed; use 'as sintered'.")

    @property
    def polished(self) -> bool:
        return self.grit is not None

    @property
    def thermally_activated(self) -> bool:
        """As sintered or annealed after polishing: the surfaces that carry the thin Na3PO4 layer."""
        return not self.polished or self.annealed

    @property
    def name(self) -> str:
        """The paper's name: ``as sintered``, ``EtOH500``, ``dry4000-anneal``, ..."""
        if not self.polished:
            return "as sintered"
        return f"{self.solvent}{self.grit}" + ("-anneal" if self.annealed else "")

    def __str__(self) -> str:
        return self.name


#: The surface states of the paper's Table 2 and Supplementary Figures, in the paper's order.
PAPER_SURFACE_STATES = (
    "as sintered",
    "EtOH500",
    "dry500",
    "EtOH500-anneal",
    "dry500-anneal",
    "EtOH4000",
    "dry4000",
    "EtOH4000-anneal",
    "dry4000-anneal",
)

_POLISHED = re.compile(r"^(etoh|ethanol|dry)[\s_-]*(\d+)(?:[\s_-]*(anneal(?:ed)?))?$")


def parse_surface_state(text: str | SurfaceState) -> SurfaceState:
    """Read a surface state written the way people write it; raise ``SampleError`` saying what is accepted."""
    if isinstance(text, SurfaceState):
        return text
    if not isinstance(text, str):
        raise SampleError("surface_state", f"expected a name such as 'EtOH500-anneal', got {text!r}.")
    cleaned = text.strip().lower()
    cleaned = re.sub(r"^nzsp[\s_-]*", "", cleaned).strip("{}_ ")
    if re.fullmatch(r"as[\s_-]*sintered", cleaned):
        return SurfaceState()
    match = _POLISHED.match(cleaned)
    if match is None:
        raise SampleError(
            "surface_state",
            f"{text!r} is not a surface state; write 'as sintered' or <EtOH|dry><grit>[-anneal] with grit "
            f"in {GRIT_SIZES}, e.g. 'EtOH500-anneal' or 'dry4000'.",
        )
    solvent = "dry" if match.group(1) == "dry" else "EtOH"
    grit = int(match.group(2))
    if grit not in GRIT_SIZES:
        raise SampleError("surface_state", f"SiC grit {grit} in {text!r} is not one of {GRIT_SIZES}.")
    return SurfaceState(solvent, grit, match.group(3) is not None)


def _positive_mm(field_name: str, value: object, typical: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SampleError(field_name, f"expected a number in millimetres ({typical}), got {value!r}.")
    if value <= 0:
        raise SampleError(field_name, f"must be positive (in millimetres, {typical}), got {value!r}.")
    return float(value)


@dataclass(frozen=True)
class Sample:
    """A Na|NZSP|Na symmetric cell: pellet surface state and geometry. Lengths in millimetres."""

    name: str
    surface_state: str
    thickness_mm: float
    electrode_diameter_mm: float
    notes: str = ""
    surface: SurfaceState = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise SampleError("name", "give the sample a name (e.g. the pellet's label), it names the run.")
        surface = parse_surface_state(self.surface_state)
        object.__setattr__(self, "surface", surface)
        object.__setattr__(self, "surface_state", surface.name)
        thickness = _positive_mm("thickness_mm", self.thickness_mm, "the paper's pellets are 1.70 mm")
        diameter = _positive_mm(
            "electrode_diameter_mm", self.electrode_diameter_mm, "the paper's Na electrodes are 8.5 mm"
        )
        if thickness > 20:
            raise SampleError("thickness_mm", f"{thickness} mm is not a pellet thickness; give it in mm.")
        if diameter > 50:
            raise SampleError("electrode_diameter_mm", f"{diameter} mm is larger than any pellet; give mm.")
        object.__setattr__(self, "thickness_mm", thickness)
        object.__setattr__(self, "electrode_diameter_mm", diameter)
        if not isinstance(self.notes, str):
            raise SampleError("notes", f"expected text, got {self.notes!r}.")

    @property
    def area_cm2(self) -> float:
        """Electrode area (cm2) from the diameter measured after pressing."""
        radius_cm = self.electrode_diameter_mm / 20.0
        return math.pi * radius_cm**2

    @property
    def thickness_cm(self) -> float:
        return self.thickness_mm / 10.0

    def current_a(self, current_density_mA_cm2: float) -> float:
        """The current (A) that gives a current density (mA/cm2) on this cell's electrodes."""
        return current_density_mA_cm2 * self.area_cm2 * 1e-3

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "surface_state": self.surface_state,
            "thickness_mm": self.thickness_mm,
            "electrode_diameter_mm": self.electrode_diameter_mm,
            "notes": self.notes,
        }

    @classmethod
    def paper(cls, surface_state: str = "as sintered", name: str | None = None) -> Sample:
        """A cell with the paper's geometry: 1.70 mm pellet, 8.5 mm Na electrodes."""
        state = parse_surface_state(surface_state).name
        return cls(name or f"NZSP {state}", state, 1.70, 8.5)
