"""The bench: one instrument per role, built from a bench config file (TOML).

A bench config names, for each role, the driver and the VISA resource, and whether the resource is
the emulated twin or the real device::

    [bench]
    cell = "as sintered"        # the emulated cell's surface state (emulated roles only)
    speed = 1.0                 # emulated time runs this many times faster than the wall clock

    [fra]
    driver = "solartron1260"
    resource = "GPIB0::4::INSTR"
    emulated = true             # false: open the real instrument through the system's VISA

A BioLogic VMP-300 is not a VISA instrument: ``driver = "vmp300"``, ``resource = "USB0"`` (or the
instrument's IP address), ``channel`` (1 to 16) and ``dll_path`` (EClib64.dll or its folder; default
``$ECLIB_DIR``, then the Development Package's folder). Giving the same instrument and channel to the
``fra`` and ``galvanostat`` roles makes one channel serve both, through one connection. Each driver
declares its options (``OPTIONS``); any other key is refused.

Swapping a role to the real instrument is the one line ``emulated = false``. The shipped default,
``resources/benches/emulated.toml``, is all-emulated with the as-sintered cell.

Driver contract: a driver class named in ``DRIVERS`` has a class method
``open(resource_name, *, resource_manager, emulation, **options)``; ``emulation`` is the emulated
VISA library (carrying the cell model and the clock) for an emulated role and ``None`` for a real one.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
import threading
import tomllib
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from instruments.clock import Clock, make_clock
from instruments.roles import FrequencyResponseAnalyser, Galvanostat, Instrument, TemperatureController

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "resources" / "benches" / "emulated.toml"

#: role key -> (interface, label)
ROLES: dict[str, tuple[type[Instrument], str]] = {
    "fra": (FrequencyResponseAnalyser, "Impedance analyser"),
    "galvanostat": (Galvanostat, "Cycler"),
    "stage": (TemperatureController, "Temperature stage"),
}

#: role key -> driver name -> "module:Class"
DRIVERS: dict[str, dict[str, str]] = {
    "fra": {
        "solartron1260": "instruments.solartron1260:Solartron1260",
        "vmp300": "instruments.biologic.vmp300:VMP300Impedance",
    },
    "galvanostat": {
        "keithley2400": "instruments.keithley2400:Keithley2400",
        "vmp300": "instruments.biologic.vmp300:VMP300Galvanostat",
    },
    "stage": {
        "linkam_t95": "instruments.linkam_t95:LinkamT95",
    },
}


#: driver name -> the options its role section may carry besides driver, resource and emulated:
#: option -> (type, what it is). Anything else in a role section is refused by name.
DRIVER_OPTIONS: dict[str, dict[str, tuple[type, str]]] = {
    "solartron1260": {"visa_library": (str, "the VISA library to use (a path, or '@py')")},
    "keithley2400": {"visa_library": (str, "the VISA library to use (a path, or '@py')")},
    "linkam_t95": {"visa_library": (str, "the VISA library to use (a path, or '@py')")},
    # vmp300: declared by its driver classes (instruments/biologic/vmp300.py OPTIONS), per role
}

#: Emulated clock speeds accepted besides ``inf`` (no waiting at all).
SPEED_RANGE = (1e-3, 1e9)


class ConfigError(ValueError):
    """A bench config file is wrong: says which file, which key and what was expected."""


def check_speed(value: Any, name: str) -> float:
    """A clock speed factor: a number from 0.001 to 1e9, or inf; ``ConfigError`` naming ``name`` otherwise."""
    low, high = SPEED_RANGE
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise ConfigError(f"{name} must be a number (the emulated clock's speed factor), got {value!r}.")
    if value != float("inf") and not low <= value <= high:
        raise ConfigError(f"{name} must be from {low:g} to {high:g} times the wall clock, or inf, got {value:g}.")
    return float(value)


@dataclass(frozen=True)
class RoleSpec:
    """What the config says about one role."""

    role: str
    driver: str
    resource: str
    emulated: bool = True
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BenchConfig:
    roles: dict[str, RoleSpec]
    cell: str = "as sintered"
    speed: float = 1.0
    seed: int | None = None
    path: Path | None = None

    @property
    def any_emulated(self) -> bool:
        return any(spec.emulated for spec in self.roles.values())


def load_config(path: str | Path | None = None) -> BenchConfig:
    """Read and check a bench config file; raise ``ConfigError`` naming the key on any mistake."""
    path = Path(path) if path is not None else DEFAULT_CONFIG
    try:
        text = toml_text(path.read_bytes())
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the bench config ({exc.strerror or exc}).") from None
    except ValueError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}.") from None
    except RecursionError:
        raise ConfigError(f"{path}: not valid TOML: arrays or tables nested too deeply.") from None
    return parse_config(data, path)


def toml_text(data: bytes) -> str:
    """The text of a TOML file; ``ValueError`` saying why not when it is not UTF-8 text (UTF-16 from a
    Windows editor, a binary file, another encoding), for the protocol and bench-config loaders."""
    try:
        text = data.decode("utf-8")
        bad = text.find("\0")
        if bad < 0:
            return text
        offset = len(text[:bad].encode("utf-8"))
    except UnicodeDecodeError as exc:
        offset = exc.start
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(data) > 1 and (data[0] == 0 or data[1] == 0)):
        kind = "UTF-16 text"
    elif b"\0" in data[:4096]:
        kind = "a binary file"
    else:
        kind = "text in another encoding"
    raise ValueError(f"not UTF-8 text (it looks like {kind}; byte 0x{data[offset]:02x} at offset {offset}); "
                     "TOML files must be saved as UTF-8.")


def _expect(path, key: str, value: Any, kind: type | tuple[type, ...], what: str) -> Any:
    if isinstance(value, bool) and kind is not bool and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise ConfigError(f"{path}: '{key}' must be {what}, got {value!r}.")
    if not isinstance(value, kind):
        raise ConfigError(f"{path}: '{key}' must be {what}, got {value!r}.")
    return value


def parse_config(data: dict[str, Any], path: Path | str | None = "<config>") -> BenchConfig:
    known = {"bench", *ROLES}
    for key in data:
        if key not in known:
            raise ConfigError(f"{path}: unknown section [{key}]; expected one of {sorted(known)}.")
    bench = _expect(path, "bench", data.get("bench", {}), dict, "a table ([bench] with cell, speed, seed)")
    for key in bench:
        if key not in {"cell", "speed", "seed"}:
            raise ConfigError(f"{path}: unknown key 'bench.{key}'; expected cell, speed or seed.")
    cell = _expect(path, "bench.cell", bench.get("cell", "as sintered"), str, "a surface state name")
    _check_cell(path, cell)
    try:
        speed = check_speed(bench.get("speed", 1.0), "'bench.speed'")
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    seed = bench.get("seed")
    if seed is not None:
        _expect(path, "bench.seed", seed, int, "a whole number from 0 to 2**63 - 1")
        if not 0 <= seed < 2**63:
            raise ConfigError(f"{path}: 'bench.seed' must be a whole number from 0 to 2**63 - 1, got {seed}.")
    roles: dict[str, RoleSpec] = {}
    for role in ROLES:
        if role not in data:
            raise ConfigError(f"{path}: missing section [{role}] (keys: driver, resource, emulated).")
        section = data[role]
        _expect(path, role, section, dict, "a table")
        driver = _expect(path, f"{role}.driver", section.get("driver"), str, "a driver name")
        if driver not in DRIVERS[role]:
            raise ConfigError(
                f"{path}: '{role}.driver' is {driver!r}; expected one of {sorted(DRIVERS[role])}."
            )
        resource = _expect(path, f"{role}.resource", section.get("resource"), str, "a VISA resource name")
        if not resource.strip():
            raise ConfigError(f"{path}: '{role}.resource' is empty; expected a VISA resource name.")
        emulated = _expect(path, f"{role}.emulated", section.get("emulated", True), bool, "true or false")
        options = {k: v for k, v in section.items() if k not in {"driver", "resource", "emulated"}}
        _check_options(path, role, driver, options)
        roles[role] = RoleSpec(role, driver, resource, emulated, options)
    config = BenchConfig(roles, cell=cell, speed=float(speed), seed=seed, path=Path(path) if path else None)
    if speed != 1 and not all(spec.emulated for spec in roles.values()):
        raise ConfigError(
            f"{path}: 'bench.speed' is {speed}, but a real instrument cannot run faster than real time; "
            "set speed = 1 or make every role emulated."
        )
    return config


def _check_cell(path, cell: str) -> None:
    from instruments.emulation.cell import PRESETS, find_preset

    try:
        find_preset(cell)
    except ValueError:
        raise ConfigError(
            f"{path}: 'bench.cell' is {cell!r}, not a surface state; expected one of {', '.join(PRESETS)}."
        ) from None


def driver_options(role: str, driver: str) -> dict[str, tuple[type, str]]:
    """The options a driver takes in a role's section (name -> (type, meaning)): those its class declares
    (``OPTIONS``, which may differ by role), else the ones listed in ``DRIVER_OPTIONS``."""
    declared = getattr(driver_class(role, driver), "OPTIONS", None)
    return dict(declared) if declared is not None else dict(DRIVER_OPTIONS.get(driver, {}))


def _check_options(path, role: str, driver: str, options: dict[str, Any]) -> None:
    known = driver_options(role, driver)
    for key, value in options.items():
        if key not in known:
            expected = ", ".join(["driver", "resource", "emulated", *known])
            raise ConfigError(f"{path}: unknown key '{role}.{key}' for driver {driver!r}; expected {expected}.")
        kind, what = known[key]
        _expect(path, f"{role}.{key}", value, (int, float) if kind is float else kind, what)


def driver_class(role: str, driver: str) -> type[Instrument]:
    module_name, _, class_name = DRIVERS[role][driver].partition(":")
    return getattr(importlib.import_module(module_name), class_name)


class Bench:
    """One instrument per role, the clock they share, and (when emulated) the cell they measure."""

    def __init__(self, config: BenchConfig, *, clock: Clock | None = None, cell: Any = None,
                 keep_going: bool = False):
        """Connect every role. With ``keep_going`` a role that cannot be opened stays disconnected and its
        error is kept in ``connection_errors`` (the window shows it); otherwise the error is raised."""
        self.config = config
        self.clock = clock if clock is not None else make_clock(config.speed)
        self.emulation = None
        if config.any_emulated:
            from instruments.emulation import visa_library

            self.emulation = visa_library(cell=cell if cell is not None else config.cell,
                                          clock=self.clock, seed=config.seed)
        self._cells: dict[str, Any] = {}          # sample key -> the emulated cell registered for it
        self._replacements: dict[str, int] = {}   # sample key -> cells made for it so far
        self._cells_lock = threading.Lock()
        initial = self.cell
        self._cell_seed = config.seed if config.seed is not None else getattr(initial, "seed", None)
        self._instruments: dict[str, Instrument | None] = dict.fromkeys(ROLES)
        self.connection_errors: dict[str, str] = {}
        try:
            for role in ROLES:
                try:
                    self.connect(role)
                except Exception as exc:
                    if not keep_going:
                        raise
                    self.connection_errors[role] = str(exc)
        except Exception:
            self.close()
            raise

    @classmethod
    def from_config(
        cls, path: str | Path | None = None, *, speed: float | None = None, clock: Clock | None = None,
        cell: Any = None, keep_going: bool = False,
    ) -> Bench:
        """Build the bench a config file describes (the all-emulated default when ``path`` is None)."""
        config = load_config(path)
        if speed is not None:
            check_speed(speed, "--speed")
            if speed != 1 and not all(spec.emulated for spec in config.roles.values()):
                raise ConfigError(f"--speed {speed:g}: a real instrument cannot run faster than real time; "
                                  "use speed 1 or make every role emulated.")
            data = {"speed": speed}
            config = BenchConfig(config.roles, cell=config.cell, seed=config.seed, path=config.path, **data)
        return cls(config, clock=clock, cell=cell, keep_going=keep_going)

    @property
    def cell(self) -> Any:
        """The emulated cell measured now, or None on an all-real bench."""
        return None if self.emulation is None else self.emulation.cell

    def set_sample_cell(self, sample_key: str, *, surface_state: str, thickness_cm: float,
                        electrode_diameter_cm: float, fresh: bool = False,
                        shorted: str | bool | None = None) -> Any:
        """Make the emulated twins measure the cell of sample ``sample_key``; return it (None: all real).

        Each sample key has its own emulated cell, made from the surface state and geometry on first
        use and kept afterwards, so a cell that shorted stays shorted for that sample and no other.
        ``fresh=True`` replaces the sample's cell with a new one ("Replace cell"); a description that
        no longer matches the registered cell (another surface state, thickness or diameter) also gets
        a new cell. The bench's initial cell (``[bench] cell`` of the config) becomes the first sample's
        cell when it matches that sample's description. On a bench without an emulated role nothing
        changes and None is returned. Raises ``ValueError`` for a surface state the emulated cell
        does not know or a non-positive length.

        ``shorted`` says the sample is known to have shorted (its record says so, e.g. after a restart):
        ``"soft"`` or ``True`` (the thin filament a detected short leaves) or ``"hard"`` make its cell
        shorted (``CellModel.force_short``) if it is not already; None or False change nothing.
        """
        if shorted not in (None, False, True, "soft", "hard"):
            raise ValueError(f"shorted must be None, True, 'soft' or 'hard', got {shorted!r}")
        if self.emulation is None:
            return None
        from instruments.emulation.cell import CellModel, find_preset

        key = str(sample_key)
        if not key.strip():
            raise ValueError("the sample key (the sample's name) is empty")
        state = find_preset(surface_state).name
        for name, value in (("thickness_cm", thickness_cm), ("electrode_diameter_cm", electrode_diameter_cm)):
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
                    or value <= 0:
                raise ValueError(f"{name} must be a positive length in cm, got {value!r}")
        thickness_cm, electrode_diameter_cm = float(thickness_cm), float(electrode_diameter_cm)

        def matches(cell) -> bool:
            return (cell.surface_state == state
                    and math.isclose(cell.thickness_cm, thickness_cm, rel_tol=1e-9)
                    and math.isclose(cell.electrode_diameter_cm, electrode_diameter_cm, rel_tol=1e-9))

        with self._cells_lock:
            cell = None if fresh else self._cells.get(key)
            if cell is not None and not matches(cell):
                cell = None
            current = self.emulation.cell
            if (cell is None and not fresh and key not in self._cells and current.name is None
                    and all(c is not current for c in self._cells.values()) and matches(current)):
                current.name, cell = key, current   # the cell on the stage at start is this sample's
            if cell is None:
                made = self._replacements.get(key, 0)
                self._replacements[key] = made + 1
                seed = None
                if self._cell_seed is not None:
                    import numpy as np

                    sequence = np.random.SeedSequence([self._cell_seed, zlib.crc32(key.encode()), made])
                    seed = int(sequence.generate_state(1, dtype=np.uint64)[0])
                params = dataclasses.replace(current.params, thickness_cm=thickness_cm,
                                             electrode_diameter_cm=electrode_diameter_cm)
                cell = CellModel(state, clock=self.clock, seed=seed, params=params, stage=current.stage,
                                 name=key)
            if shorted:
                cell.force_short("soft" if shorted is True else shorted)
            self._cells[key] = cell
            self.emulation.set_cell(cell)
            return cell

    # --- roles -------------------------------------------------------------------------------
    @property
    def fra(self) -> FrequencyResponseAnalyser:
        return self._require("fra")

    @property
    def galvanostat(self) -> Galvanostat:
        return self._require("galvanostat")

    @property
    def stage(self) -> TemperatureController:
        return self._require("stage")

    def instrument(self, role: str) -> Instrument | None:
        return self._instruments[role]

    def roles(self) -> list[tuple[str, str, Instrument | None]]:
        """(role key, role label, instrument or None when disconnected) for each role."""
        return [(role, label, self._instruments[role]) for role, (_, label) in ROLES.items()]

    def _require(self, role: str) -> Any:
        instrument = self._instruments[role]
        if instrument is None:
            raise RuntimeError(f"The {ROLES[role][1].lower()} is disconnected; connect it first.")
        return instrument

    # --- connection --------------------------------------------------------------------------
    def connect(self, role: str) -> Instrument:
        if self._instruments[role] is not None:
            return self._instruments[role]
        spec = self.config.roles[role]
        cls = driver_class(role, spec.driver)
        import pyvisa

        if spec.emulated:
            manager = pyvisa.ResourceManager(self.emulation)
        else:
            manager = pyvisa.ResourceManager(spec.options.get("visa_library", "@py"))
        options = {k: v for k, v in spec.options.items() if k != "visa_library"}
        if not spec.emulated and getattr(cls, "uses_bench_clock", False):
            options["clock"] = self.clock     # the driver polls on the bench's clock
        instrument = cls.open(spec.resource, resource_manager=manager,
                              emulation=self.emulation if spec.emulated else None, **options)
        expected = ROLES[role][0]
        if not isinstance(instrument, expected):
            raise ConfigError(f"driver {spec.driver!r} does not implement the {ROLES[role][1]} role.")
        instrument.emulated = spec.emulated
        self._instruments[role] = instrument
        self.connection_errors.pop(role, None)
        return instrument

    def disconnect(self, role: str) -> None:
        instrument = self._instruments[role]
        self._instruments[role] = None
        if instrument is None:
            return
        try:
            if isinstance(instrument, Galvanostat):
                instrument.safe_state()
        finally:
            instrument.close()

    def close(self) -> None:
        """Leave the galvanostat safe and release every instrument."""
        errors = []
        for role in ROLES:
            try:
                self.disconnect(role)
            except Exception as exc:  # noqa: BLE001 - close the others anyway
                errors.append(exc)
        if errors:
            raise errors[0]
