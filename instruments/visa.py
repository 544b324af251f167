"""What every pyvisa driver shares: opening the resource, writing and querying with pyvisa errors turned
into ``InstrumentError(instrument, command, what happened)``, and declarative settings.

Drivers are short classes in the style of PyMeasure's instruments: ``setting`` declares a write-only
parameter (instruments such as the Solartron 1260 cannot be asked for their settings), ``control`` a
parameter that can be written and read back::

    class Source(VisaDriver):
        current_a = control(":SOUR:CURR?", ":SOUR:CURR {:.6E}", "Source current (A).", limits=(-1.05, 1.05))

One voice per instrument: each driver session has one re-entrant lock, ``driver.lock``. ``write``,
``query`` and ``query_bytes`` hold it, and so does every method a driver class defines (they are wrapped
when the class is created), so a method that sends a command, reads its reply and then checks the error
queue does all of it before any other thread (the bench monitor, a run, a manual control) may send
anything to that instrument. On a GPIB bus, a command sent before the previous query's reply is read
aborts that reply (SCPI error -410, "Query INTERRUPTED") and the next read takes the wrong answer.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable
from typing import Any

import pyvisa
from pyvisa import constants, errors

from instruments.roles import InstrumentError

_WHAT = {
    constants.StatusCode.error_timeout: "no reply before the timeout",
    constants.StatusCode.error_connection_lost: "the instrument is gone (connection lost)",
    constants.StatusCode.error_no_listeners: "no instrument listening at that address",
    constants.StatusCode.error_resource_not_found: "no instrument at that address",
}


def describe_visa_error(exc: Exception) -> str:
    if isinstance(exc, errors.VisaIOError):
        what = _WHAT.get(exc.error_code)
        return f"{what} ({exc.abbreviation})" if what else f"{exc.description} ({exc.abbreviation})"
    if isinstance(exc, errors.InvalidSession):
        return "the connection is closed"
    if isinstance(exc, UnicodeDecodeError):
        return f"garbled reply (not text: {exc.object[:40]!r})"
    return f"{type(exc).__name__}: {exc}"


class setting:  # noqa: N801 - used like a keyword in class bodies
    """A write-only instrument parameter: ``obj.x = v`` sends ``command.format(convert(v))``."""

    def __init__(self, command: str, doc: str = "", *, limits: tuple[float, float] | None = None,
                 convert: Callable[[Any], Any] | None = None, values: dict[Any, Any] | None = None):
        self.command = command
        self.limits = limits
        self.convert = convert
        self.values = values
        self.__doc__ = doc

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        return obj._settings.get(self.name)

    def __set__(self, obj, value) -> None:
        if self.limits is not None and not self.limits[0] <= value <= self.limits[1]:
            raise ValueError(f"{obj.model}: {self.name} = {value!r} is outside {self.limits}")
        if self.values is not None:
            if value not in self.values:
                raise ValueError(f"{obj.model}: {self.name} = {value!r}; expected one of {list(self.values)}")
            sent = self.values[value]
        else:
            sent = self.convert(value) if self.convert else value
        obj.write(self.command.format(sent))
        obj._settings[self.name] = value


class control(setting):  # noqa: N801
    """A parameter that can also be read back: ``obj.x`` sends ``get_command`` and parses the reply."""

    def __init__(self, get_command: str, set_command: str, doc: str = "", *,
                 parse: Callable[[str], Any] = float, **kwargs):
        super().__init__(set_command, doc, **kwargs)
        self.get_command = get_command
        self.parse = parse

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        reply = obj.query(self.get_command)
        try:
            if self.values is not None:
                # the instrument may answer with the word it was sent ("ON") or a number ("1")
                inverse = {str(v).upper(): k for k, v in self.values.items()}
                if reply.strip().upper() in inverse:
                    return inverse[reply.strip().upper()]
            return self.parse(reply)
        except (ValueError, KeyError):
            raise InstrumentError(obj.label, self.get_command, f"unexpected reply {reply!r}") from None


def serialised(method: Callable) -> Callable:
    """``method`` runs holding its instrument's lock (``self.lock``)."""
    if getattr(method, "__serialised__", False):
        return method

    @functools.wraps(method)
    def locked(self, *args, **kwargs):
        with self.lock:
            return method(self, *args, **kwargs)

    locked.__serialised__ = True
    return locked


class VisaDriver:
    """A connected message-based instrument; subclasses set the class attributes and ``initialise``.

    Every plain method a subclass defines is wrapped by ``serialised`` (see the module docstring)."""

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        # the class's own methods and those it inherits from its role (e.g. ``Galvanostat.safe_state``)
        names = {name for klass in cls.__mro__ if klass not in (VisaDriver, object) for name in vars(klass)}
        for name in names:
            value = inspect.getattr_static(cls, name)
            if not name.startswith("__") and inspect.isfunction(value) and not getattr(value, "__serialised__", 0):
                setattr(cls, name, serialised(value))

    model = "instrument"
    default_resource = ""
    read_termination: str | None = "\n"
    write_termination = "\n"
    timeout_s = 10.0
    encoding = "ascii"
    #: extra pyvisa resource attributes, e.g. serial settings
    resource_options: dict[str, Any] = {}

    def __init__(self, resource, **options: Any):
        #: held for each command and its reply, and for each driver method (one thread at a time)
        self.lock = threading.RLock()
        self.resource = resource
        self.resource_name = resource.resource_name
        self.options = options
        self._settings: dict[str, Any] = {}
        self._identity = ""
        self._closed = False

    @classmethod
    def open(cls, resource_name: str | None = None, *, resource_manager=None, emulation=None, **options):
        """Open and initialise the instrument; ``emulation`` is unused by VISA drivers (the manager
        already routes to the emulated twin)."""
        name = resource_name or cls.default_resource
        manager = resource_manager if resource_manager is not None else pyvisa.ResourceManager()
        try:
            resource = manager.open_resource(
                name, read_termination=cls.read_termination, write_termination=cls.write_termination,
                timeout=int(cls.timeout_s * 1000), encoding=cls.encoding, **cls.resource_options)
        except (errors.Error, ValueError, OSError) as exc:
            raise InstrumentError(f"{cls.model} at {name}", "open", describe_visa_error(exc)) from exc
        instrument = cls(resource, **options)
        try:
            instrument.initialise()
        except Exception:
            instrument.close()
            raise
        return instrument

    def initialise(self) -> None:
        """Bring the instrument to a known state after opening; subclasses override."""

    @property
    def label(self) -> str:
        return f"{self.model} at {self.resource_name}"

    @property
    def identity(self) -> str:
        return self._identity

    # --- I/O ---------------------------------------------------------------------------------
    @serialised
    def write(self, command: str) -> None:
        try:
            self.resource.write(command)
        except (errors.Error, OSError) as exc:
            raise InstrumentError(self.label, command, describe_visa_error(exc)) from exc

    @serialised
    def query(self, command: str) -> str:
        try:
            return self.resource.query(command).strip()
        except (errors.Error, OSError, UnicodeDecodeError) as exc:
            raise InstrumentError(self.label, command, describe_visa_error(exc)) from exc

    @serialised
    def query_bytes(self, command: str, count: int) -> bytes:
        """Write ``command`` and read exactly ``count`` bytes (binary replies)."""
        try:
            self.resource.write(command)
            return self.resource.read_bytes(count)
        except (errors.Error, OSError) as exc:
            raise InstrumentError(self.label, command, describe_visa_error(exc)) from exc

    @serialised
    def set_timeout_s(self, seconds: float) -> None:
        milliseconds = int(seconds * 1000)
        if self._settings.get("_timeout_ms") != milliseconds:
            self.resource.timeout = milliseconds
            self._settings["_timeout_ms"] = milliseconds

    @serialised
    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self.resource.close()
        except (errors.Error, OSError):
            pass  # the instrument is gone already; nothing left to release
