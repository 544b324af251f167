"""How a measured spectrum leaves the workbench for ZView: the ZPlot ``.z`` text file.

The file-format package ``workbench.formats`` owns every reader and writer; its ``write_zview`` writes
the ZPlot layout. If that package is not importable (a trimmed install), this module falls back to a
minimal ZPlot writer (header ending in ``End Comments``, then ``Freq(Hz), Ampl, Bias, Time(Sec), Z'(a),
Z''(b), GD, Err, Range`` rows) that ZView and impedance.py's ``readZPlot`` both read.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def write_z(
    path: str | Path,
    frequency_hz,
    z_real_ohm,
    z_imag_ohm,
    *,
    title: str = "",
    amplitude_v: float | None = None,
    area_cm2: float | None = None,
) -> Path:
    """Write a spectrum as a ZView ``.z`` file; return the path."""
    path = Path(path)
    f = np.asarray(frequency_hz, dtype=float)
    zr = np.asarray(z_real_ohm, dtype=float)
    zi = np.asarray(z_imag_ohm, dtype=float)
    try:
        from workbench.formats import write_zview
    except ImportError:
        write_zview = None
    if write_zview is not None:
        import pandas as pd

        options = {"comment": title}
        if amplitude_v is not None:
            options["amplitude_v"] = amplitude_v
        if area_cm2 is not None:
            options["area_cm2"] = area_cm2
        return Path(
            write_zview(
                pd.DataFrame({"frequency_hz": f, "z_real_ohm": zr, "z_imag_ohm": zi}), path, **options
            )
        )
    lines = ["ZPLOT2 ASCII", f"  Comment:  {title}", "End Comments"]
    lines += [f"{fi:.6e}, 0, 0, 0, {a:.6e}, {b:.6e}, 0, 0, 0" for fi, a, b in zip(f, zr, zi, strict=True)]
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return path
