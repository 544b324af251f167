"""The instrument layer: one interface per bench role, pyvisa drivers for real instruments, and their
emulated twins (``instruments.emulation``) driven by a physical model of the Na|NZSP|Na cell.

Nothing here knows about procedures or imports Qt.
"""
