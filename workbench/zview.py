"""How a measured spectrum leaves the workbench for ZView: the ZPlot ``.z`` text file.

``workbench.formats`` (the file-format package) owns the readers and writers of every format; when it
provides ``write_zview`` the store uses it, otherwise this minimal ZPlot writer: a header ending in
``End Comments`` and one line per frequency, ``Freq(Hz), Ampl, Bias, Time(Sec), Z'(a), Z''(b), GD, Err,
Range``, which ZView and impedance.py's ``readZPlot`` both read.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def write_z(path: str | Path, frequency_hz, z_real_ohm, z_imag_ohm, *, title: str = "") -> Path:
    """Write a spectrum as a ZView ``.z`` file; return the path."""
    path = Path(path)
    try:
        from workbench.formats import write_zview  # type: ignore[attr-defined]
    except ImportError:
        write_zview = None
    if write_zview is not None:
        try:
            write_zview(path, np.asarray(frequency_hz), np.asarray(z_real_ohm) + 1j * np.asarray(z_imag_ohm))
            return path
        except TypeError:
            pass  # a different signature: fall back to the minimal writer below
    f = np.asarray(frequency_hz, dtype=float)
    zr = np.asarray(z_real_ohm, dtype=float)
    zi = np.asarray(z_imag_ohm, dtype=float)
    lines = ['"ZPlot2 ASCII"', f'"{title}"', "End Comments",
             "Freq(Hz), Ampl, Bias, Time(Sec), Z'(a), Z''(b), GD, Err, Range"]
    lines += [f"{fi:.6e}, 0, 0, 0, {a:.6e}, {b:.6e}, 0, 0, 0" for fi, a, b in zip(f, zr, zi, strict=True)]
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return path
