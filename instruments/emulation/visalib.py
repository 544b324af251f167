"""A pyvisa backend whose resources are emulated devices: the emulated bench sits beneath pyvisa.

``pyvisa.ResourceManager(EmulatedVisaLibrary(...))`` opens ``GPIB0::4::INSTR`` and the rest exactly as
with a real VISA; each resource name is routed to an emulated device that answers the real command
language. Reads wait on the bench clock (never on the wall clock when the clock is manual or
accelerated) and time out with pyvisa's own ``VisaIOError(VI_ERROR_TMO)``.

Faults are injected per resource (``inject_fault(resource_name, kind, after_commands=N)``): after N
more commands the device stops answering (``"timeout"``), answers with corrupted bytes (``"garbled"``)
or disappears from the bus (``"vanish"``: every later operation raises ``VI_ERROR_CONN_LOST``).

pyvisa caches libraries by (class, library_path), so each instance gets a unique path.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from pyvisa import constants, errors, rname
from pyvisa.highlevel import VisaLibraryBase
from pyvisa.typing import VISARMSession, VISASession

from instruments.emulation.devices import EmulatedDevice

StatusCode = constants.StatusCode
Attr = constants.ResourceAttribute

FAULTS = ("timeout", "garbled", "vanish")


@dataclass
class _Session:
    resource_name: str
    device: EmulatedDevice
    attrs: dict[int, Any] = field(default_factory=dict)
    rx: bytearray = field(default_factory=bytearray)   # the reply being read
    rx_end: bool = False                                 # the reply in rx ends with END (EOI)


@dataclass
class _Fault:
    kind: str
    after_commands: int
    active: bool = False


def _garble(data: bytes) -> bytes:
    """Corrupt a reply but keep its length and its final terminator (a noisy line, not a lost one)."""
    if len(data) <= 1:
        return b"?"
    body = bytearray(data[:-1])
    for i in range(0, len(body), 2):
        body[i] = 0x3F  # '?'
    return bytes(body) + data[-1:]


class EmulatedVisaLibrary(VisaLibraryBase):
    """Routes resource names to emulated devices; one instance per emulated bench."""

    @staticmethod
    def get_library_paths():
        return ()

    @staticmethod
    def get_debug_info():
        return ["NZSP Workbench emulated VISA library"]

    @classmethod
    def create(cls, clock, devices: dict[str, EmulatedDevice] | None = None) -> EmulatedVisaLibrary:
        """A new, independent library (its own unique library path) on ``clock``."""
        lib = cls(f"nzsp-emulated-{uuid.uuid4().hex}")
        lib.clock = clock
        for name, device in (devices or {}).items():
            lib.add_device(name, device)
        return lib

    def _init(self) -> None:
        self.clock = None
        self.devices: dict[str, EmulatedDevice] = {}
        self.sessions: dict[int, _Session] = {}
        self.faults: dict[str, _Fault] = {}
        self.commands_written: dict[str, int] = {}
        self.bindings: dict[str, object] = {}
        self.cell = None
        self._next_session = 1000
        self._lock = threading.Lock()
        self._device_locks: dict[str, threading.RLock] = {}

    # --- devices and faults ------------------------------------------------------------------
    @staticmethod
    def _canonical(resource_name: str) -> str:
        try:
            return str(rname.parse_resource_name(resource_name))
        except rname.InvalidResourceName:
            return resource_name

    def add_device(self, resource_name: str, device: EmulatedDevice) -> None:
        name = self._canonical(resource_name)
        self.devices[name] = device
        self._device_locks[name] = threading.RLock()

    def device(self, resource_name: str) -> EmulatedDevice:
        return self.devices[self._canonical(resource_name)]

    def inject_fault(self, resource_name: str, kind: str, after_commands: int = 0) -> None:
        """Make ``resource_name`` fail (``"timeout"``, ``"garbled"`` or ``"vanish"``) after N more commands."""
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}; expected one of {FAULTS}")
        name = self._canonical(resource_name)
        if name not in self.devices and name not in self.bindings:
            raise KeyError(f"no emulated device at {resource_name!r}; have {sorted(self.devices)}")
        self.faults[name] = _Fault(kind, int(after_commands), active=after_commands <= 0)

    def clear_faults(self, resource_name: str | None = None) -> None:
        if resource_name is None:
            self.faults.clear()
        else:
            self.faults.pop(self._canonical(resource_name), None)

    def set_cell(self, cell) -> None:
        """Put another cell on the bench: every emulated instrument measures ``cell`` from now on.

        The cell must run on this library's clock; a current the cycler is sourcing moves to the new
        cell (and the old one is left at rest).
        """
        if cell.clock is not self.clock:
            raise ValueError("the new cell runs on another clock than this emulated bench")
        old = self.cell
        if old is cell:
            return
        locks = [self._device_locks[name] for name in sorted(self._device_locks)]
        for lock in locks:
            lock.acquire()
        try:
            current_a = old.current_a if old is not None else 0.0
            for instrument in (*self.devices.values(), *self.bindings.values()):
                if hasattr(instrument, "cell"):
                    instrument.cell = cell
            self.cell = cell
            if old is not None:
                old.set_current_a(0.0)
            cell.set_current_a(current_a)
        finally:
            for lock in reversed(locks):
                lock.release()

    def eclib(self, address: str = "USB0"):
        """The emulated BioLogic binding on this library's cell and clock (one per address)."""
        if address not in self.bindings:
            from instruments.emulation.eclib import EmulatedEcLib

            self.bindings[address] = EmulatedEcLib(self.cell, self.clock, fault=lambda: self._tick(address))
        return self.bindings[address]

    def _tick(self, name: str) -> str | None:
        """Count one command to ``name``; return the fault now active on it, if any."""
        fault = self.faults.get(name)
        if fault is not None and not fault.active:
            if fault.after_commands > 0:
                fault.after_commands -= 1
            else:
                fault.active = True
        return self._fault(name)

    def _fault(self, name: str) -> str | None:
        fault = self.faults.get(name)
        return fault.kind if fault is not None and fault.active else None

    # --- VisaLibraryBase ---------------------------------------------------------------------
    def open_default_resource_manager(self) -> tuple[VISARMSession, StatusCode]:
        return VISARMSession(1), StatusCode.success

    def list_resources(self, session, query: str = "?*::INSTR") -> tuple[str, ...]:
        return tuple(name for name in self.devices if self._fault(name) != "vanish")

    def open(self, session, resource_name, access_mode=constants.AccessModes.no_lock,
             open_timeout=constants.VI_TMO_IMMEDIATE) -> tuple[VISASession, StatusCode]:
        name = self._canonical(resource_name)
        if name not in self.devices or self._fault(name) == "vanish":
            raise errors.VisaIOError(StatusCode.error_resource_not_found)
        with self._lock:
            self._next_session += 1
            handle = self._next_session
            self.sessions[handle] = _Session(name, self.devices[name], {
                Attr.timeout_value: 2000, Attr.termchar: ord("\n"), Attr.termchar_enabled: False,
                Attr.send_end_enabled: True, Attr.suppress_end_enabled: False,
            })
        return VISASession(handle), StatusCode.success

    def close(self, session) -> StatusCode:
        if session == 1:
            return StatusCode.success
        if self.sessions.pop(session, None) is None:
            raise errors.InvalidSession()
        return StatusCode.success

    def _session(self, session) -> _Session:
        try:
            return self.sessions[session]
        except KeyError:
            raise errors.InvalidSession() from None

    def get_attribute(self, session, attribute):
        s = self._session(session) if session != 1 else None
        if s is None:
            return 0, StatusCode.success
        if attribute == Attr.resource_name:
            return s.resource_name, StatusCode.success
        return s.attrs.get(attribute, 0), StatusCode.success

    def set_attribute(self, session, attribute, attribute_state) -> StatusCode:
        if session != 1:
            self._session(session).attrs[attribute] = attribute_state
        return StatusCode.success

    def disable_event(self, session, event_type, mechanism) -> StatusCode:
        return StatusCode.success

    def discard_events(self, session, event_type, mechanism) -> StatusCode:
        return StatusCode.success

    def clear(self, session) -> StatusCode:
        s = self._session(session)
        self._check_present(s)
        s.device.clear()
        s.rx.clear()
        return StatusCode.success

    def flush(self, session, mask) -> StatusCode:
        return StatusCode.success

    def assert_trigger(self, session, protocol) -> StatusCode:
        self._check_present(self._session(session))
        return StatusCode.success

    def read_stb(self, session) -> tuple[int, StatusCode]:
        s = self._session(session)
        self._check_present(s)
        return int(getattr(s.device, "status_byte", 0)), StatusCode.success

    def _check_present(self, s: _Session) -> None:
        if self._fault(s.resource_name) == "vanish":
            raise errors.VisaIOError(StatusCode.error_connection_lost)

    def write(self, session, data: bytes) -> tuple[int, StatusCode]:
        s = self._session(session)
        name = s.resource_name
        with self._device_locks[name]:
            self._check_present(s)
            fault = self.faults.get(name)
            if fault is not None and not fault.active:
                if fault.after_commands > 0:
                    fault.after_commands -= 1       # this command still goes through
                else:
                    fault.active = True
                    self._check_present(s)
            self.commands_written[name] = self.commands_written.get(name, 0) + 1
            before = len(s.device.outbox)
            s.device.write(bytes(data), self.clock.now())
            if self._fault(name) == "timeout":
                while len(s.device.outbox) > before:
                    s.device.outbox.pop()
        return len(data), StatusCode.success

    def read(self, session, count: int) -> tuple[bytes, StatusCode]:
        s = self._session(session)
        with self._device_locks[s.resource_name]:
            self._check_present(s)
            if not s.rx:
                self._wait_for_reply(s)
            termchar = s.attrs.get(Attr.termchar, 10) if s.attrs.get(Attr.termchar_enabled) else None
            limit = min(count, len(s.rx))
            if termchar is not None:
                at = s.rx.find(bytes((termchar,)), 0, limit)
                if at >= 0:
                    chunk = bytes(s.rx[:at + 1])
                    del s.rx[:at + 1]
                    return chunk, StatusCode.success_termination_character_read
            chunk = bytes(s.rx[:limit])
            del s.rx[:limit]
            if not s.rx and s.rx_end:
                return chunk, StatusCode.success
            return chunk, StatusCode.success_max_count_read

    def _wait(self, seconds: float) -> None:
        """Let ``seconds`` of bench time pass: a manual clock is simply advanced (no thread switch)."""
        advance = getattr(self.clock, "advance", None)
        if advance is not None:
            advance(seconds)
        else:
            self.clock.sleep(seconds)

    def _wait_for_reply(self, s: _Session) -> None:
        """Move the next reply into ``rx``, waiting on the clock up to the session timeout."""
        timeout_ms = s.attrs.get(Attr.timeout_value, 2000)
        timeout_s = 1e9 if timeout_ms in (constants.VI_TMO_INFINITE, None) else timeout_ms / 1000.0
        outbox = s.device.outbox
        now = self.clock.now()
        if outbox and outbox[0][0] - now <= timeout_s:
            ready_at, data = outbox.popleft()
            if ready_at > now:
                self._wait(ready_at - now)
            if self._fault(s.resource_name) == "garbled":
                data = _garble(data)
            s.rx.extend(data)
            s.rx_end = True
            return
        self._wait(timeout_s)
        self._check_present(s)
        raise errors.VisaIOError(StatusCode.error_timeout)
