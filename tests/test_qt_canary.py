"""Canary for the PySide6 6.12.0 bug on Python 3.11: every Python-side signal emit lost a reference to
``True`` and the interpreter aborted at exit ("Fatal Python error: bool_dealloc"). pyproject pins
PySide6-Essentials below 6.12; lift the pin only when this test passes on the new release."""

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QObject, Signal  # noqa: E402


class _Emitter(QObject):
    flag = Signal(bool)


def test_signal_emits_do_not_leak_references_to_true(qapp):
    emitter = _Emitter()
    received = []
    emitter.flag.connect(received.append)
    before = sys.getrefcount(True)
    for _ in range(5000):
        emitter.flag.emit(True)
    received.clear()
    after = sys.getrefcount(True)
    # A leak loses one reference per emit; allow a little slack for unrelated interpreter activity.
    assert after >= before - 50, f"refcount of True fell from {before} to {after}"
