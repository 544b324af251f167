"""A C stand-in for the EC-Lab Development Package library, for tests on machines without the DLL.

``eclib.h`` is the documented C interface (functions, structures and their packing, as the public sources
in ``shared/reference/biologic-eclib.md`` give them), ``eclib_stand_in.c`` a library exporting those
functions that behaves like a VMP-300 with a cell on each channel, ``layout.c`` a program printing the
structures' sizes and offsets. ``build(folder)`` compiles them with the machine's C compiler (``$CC``,
else ``cc`` or ``gcc``); the tests load the library through the real ctypes binding.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

SOURCE_DIR = Path(__file__).resolve().parent


class StandInBuildError(RuntimeError):
    """No C compiler, or the compiler refused the sources (its output is in the message)."""


@dataclass(frozen=True)
class StandIn:
    library: Path       # the shared library to load as the Development Package
    layout: Path        # the program printing sizeof/offsetof of the structures


def compiler() -> str | None:
    for candidate in filter(None, [os.environ.get("CC"), "cc", "gcc", "clang"]):
        if shutil.which(candidate):
            return candidate
    return None


def build(folder: str | os.PathLike) -> StandIn:
    """Compile the stand-in library and the layout printer into ``folder``."""
    cc = compiler()
    if cc is None:
        raise StandInBuildError("no C compiler found (set CC, or install gcc: `apt-get install gcc`)")
    if sys.platform == "win32":
        raise StandInBuildError("the stand-in is built for POSIX systems; on Windows use the real DLL")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    suffix = ".dylib" if sys.platform == "darwin" else ".so"
    out = StandIn(folder / f"libeclib_stand_in{suffix}", folder / "eclib_layout")
    flags = ["-std=c11", "-Wall", "-Wextra", "-O2", f"-I{SOURCE_DIR}"]
    commands = [
        [cc, *flags, "-shared", "-fPIC", "-o", str(out.library), str(SOURCE_DIR / "eclib_stand_in.c"), "-lm"],
        [cc, *flags, "-o", str(out.layout), str(SOURCE_DIR / "layout.c")],
    ]
    for command in commands:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise StandInBuildError(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    return out


def layout(stand_in: StandIn) -> dict[str, int]:
    """``{"TDataInfos": 40, "TDataInfos.StartTime": 28, ...}`` as the C compiler lays the structures out."""
    done = subprocess.run([str(stand_in.layout)], capture_output=True, text=True, timeout=30, check=True)
    return {name: int(value) for name, value in (line.split() for line in done.stdout.splitlines())}
