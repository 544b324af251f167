"""Emulated devices answering their instrument's real command language, bytes in, bytes out.

A device receives what the host wrote (``write(data, now)``) and queues replies that become readable at
a clock time (``self.reply(data, ready_at)``); the library hands them out honouring the session's
termination character and timeout. Faults are injected by the library, not here.
"""

from __future__ import annotations

from collections import deque


class EmulatedDevice:
    """Base: splits input into messages on the device's terminators and queues timed replies."""

    #: bytes that end a command message (EOI at the end of a GPIB write also ends one)
    input_terminators: bytes = b"\n"
    #: True for GPIB: the end of each write is an end of message (EOI)
    end_of_write_ends_message: bool = True
    #: human name, used in fault messages
    name: str = "device"

    def __init__(self) -> None:
        self.outbox: deque[tuple[float, bytes]] = deque()
        self._partial = bytearray()

    def write(self, data: bytes, now: float) -> None:
        self._partial.extend(data)
        start = 0
        buf = self._partial
        for i, byte in enumerate(buf):
            if byte in self.input_terminators:
                if i > start:
                    self.handle(bytes(buf[start:i]), now)
                start = i + 1
        rest = bytes(buf[start:])
        self._partial = bytearray()
        if rest:
            if self.end_of_write_ends_message:
                self.handle(rest, now)
            else:
                self._partial.extend(rest)

    def handle(self, message: bytes, now: float) -> None:
        raise NotImplementedError

    def reply(self, data: bytes, ready_at: float) -> None:
        self.outbox.append((ready_at, data))

    def clear(self) -> None:
        """Device clear: drop pending input and output."""
        self.outbox.clear()
        self._partial = bytearray()
