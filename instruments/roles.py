"""The three roles of the bench, in the bench's own terms.

Every driver implements exactly one of these interfaces; ``workbench/`` talks to instruments only
through them, never to a model-specific driver. Everything is in SI units (volts, amperes, seconds,
hertz, ohms) except temperatures, which the field and every controller give in degrees Celsius, and
every name says its unit.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass


class InstrumentError(RuntimeError):
    """An instrument failed: says which instrument, which command and what happened."""

    def __init__(self, instrument: str, command: str, what: str):
        self.instrument = instrument
        self.command = command
        self.what = what
        super().__init__(f"{instrument}: {command!r} failed: {what}")


class ComplianceExceeded(InstrumentError):
    """A current source stopped its output because the cell's voltage passed the compliance (a source
    without a compliance of its own, such as a BioLogic channel in CP, is stopped by its driver).
    ``reading`` is the sample that passed it; the output is off."""

    def __init__(self, instrument: str, command: str, what: str, reading: GalvanostatReading,
                 compliance_v: float):
        super().__init__(instrument, command, what)
        self.reading = reading
        self.compliance_v = compliance_v


@dataclass(frozen=True)
class ImpedancePoint:
    """One measured frequency: Z = z_real_ohm + j z_imag_ohm (physical sign, capacitive < 0)."""

    frequency_hz: float
    z_real_ohm: float
    z_imag_ohm: float


@dataclass(frozen=True)
class GalvanostatReading:
    """One sample of the galvanostat: instrument time, cell voltage and the current through the cell."""

    time_s: float
    voltage_v: float
    current_a: float


class Instrument(ABC):
    """What every instrument on the bench can say about itself."""

    #: Human name of the role, shown in the user interface.
    role_label: str = "instrument"
    #: True when the instrument is an emulated twin rather than a connected device.
    emulated: bool = False

    @property
    @abstractmethod
    def identity(self) -> str:
        """Make, model, serial and firmware as the instrument reports them."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the connection. Safe to call twice."""


class FrequencyResponseAnalyser(Instrument):
    """An impedance analyser measuring one frequency at a time."""

    role_label = "Impedance analyser"
    #: the highest frequency the analyser measures (Hz); None when the driver does not say
    max_frequency_hz: float | None = None

    @abstractmethod
    def configure(
        self, *, amplitude_v: float, dc_bias_v: float = 0.0, integration_s: float, delay_s: float
    ) -> None:
        """Set the AC amplitude (V rms), DC bias (V), integration time (s) and settling delay (s)."""

    @abstractmethod
    def measure(self, frequency_hz: float) -> ImpedancePoint:
        """Measure the impedance at one frequency with the current settings."""


class Galvanostat(Instrument):
    """A current source with voltage compliance: the cycler's role."""

    role_label = "Cycler"

    @abstractmethod
    def set_current_a(self, current_a: float) -> None:
        """Set the source current (A) of the working electrode: negative plates Na on it (cathodic),
        positive strips it (anodic), as in the paper and the instruments' own convention."""

    @abstractmethod
    def set_compliance_v(self, voltage_v: float) -> None:
        """Set the voltage compliance (V) that the source will not exceed."""

    @abstractmethod
    def output_on(self) -> None:
        """Connect the source to the cell."""

    @abstractmethod
    def output_off(self) -> None:
        """Disconnect the source from the cell."""

    @abstractmethod
    def read(self) -> GalvanostatReading:
        """Sample time, voltage and current."""

    def is_output_on(self) -> bool | None:
        """Whether the output is on, as last set through this driver; None when the driver cannot tell."""
        return None

    def safe_state(self) -> None:
        """Leave the cell safe: current zero and output off. Must not raise if the first step fails."""
        errors: list[Exception] = []
        for step in (lambda: self.set_current_a(0.0), self.output_off):
            try:
                step()
            except Exception as exc:  # noqa: BLE001 - try every step, report afterwards
                errors.append(exc)
        if errors:
            raise errors[-1]


class TemperatureController(Instrument):
    """A temperature stage with a ramp."""

    role_label = "Temperature stage"

    @abstractmethod
    def set_setpoint_c(self, temperature_c: float, ramp_c_per_min: float) -> None:
        """Ramp to a setpoint (deg C) at a rate (deg C per minute) and hold there."""

    @abstractmethod
    def read_temperature_c(self) -> float:
        """The stage temperature (deg C)."""

    @abstractmethod
    def hold(self) -> None:
        """Hold the present temperature."""

    @abstractmethod
    def stop(self) -> None:
        """Stop heating and cooling."""
