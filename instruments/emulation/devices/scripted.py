"""A scripted device for byte-exact driver tests (the idea of PyMeasure's ``expected_protocol``).

It holds the exact exchange a driver must produce, as ``(bytes written, reply bytes or None)`` pairs,
terminators included. Each write must equal the next expected one, else ``ProtocolMismatch`` is raised
(through pyvisa, into the driver and the test); ``assert_done()`` checks that the whole script was used.
"""

from __future__ import annotations

from instruments.emulation.devices import EmulatedDevice


class ProtocolMismatch(AssertionError):
    pass


class ScriptedDevice(EmulatedDevice):
    name = "scripted device"

    def __init__(self, pairs: list[tuple[bytes, bytes | None]], *, reply_delay_s: float = 0.0):
        super().__init__()
        self.pairs = list(pairs)
        self.position = 0
        self.reply_delay_s = reply_delay_s

    def write(self, data: bytes, now: float) -> None:  # whole writes, not split into messages
        if self.position >= len(self.pairs):
            raise ProtocolMismatch(f"unexpected write {data!r} after the end of the script")
        expected, reply = self.pairs[self.position]
        if data != expected:
            raise ProtocolMismatch(f"write #{self.position}: expected {expected!r}, got {data!r}")
        self.position += 1
        if reply is not None:
            self.reply(reply, now + self.reply_delay_s)

    def assert_done(self) -> None:
        if self.position != len(self.pairs):
            raise ProtocolMismatch(f"script not finished: next expected write {self.pairs[self.position][0]!r}")
        if self.outbox:
            raise ProtocolMismatch(f"unread replies left: {list(self.outbox)!r}")
