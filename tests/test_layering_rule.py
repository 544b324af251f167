"""The layering rule: only ui/ imports Qt. Importing every module of workbench/ and instruments/ in a
fresh interpreter must load neither PySide6 nor pyqtgraph."""

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHECK = textwrap.dedent(
    """
    import importlib, pkgutil, sys
    packages = sys.argv[1:]
    for name in packages:
        package = importlib.import_module(name)
        for info in pkgutil.walk_packages(package.__path__, name + "."):
            if info.name.endswith("__main__"):
                continue
            importlib.import_module(info.name)
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in {"PySide6", "pyqtgraph", "shiboken6"})
    if loaded:
        print("Qt loaded:", ", ".join(loaded[:5]))
        raise SystemExit(1)
    print("clean")
    """
)


def _check(packages: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", CHECK, *packages], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_workbench_and_instruments_never_import_qt():
    result = _check(["workbench", "instruments"], ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "clean" in result.stdout


def test_the_check_catches_a_module_that_imports_qt(tmp_path):
    package = tmp_path / "leaky"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "view.py").write_text("import PySide6.QtCore\n")
    result = _check(["leaky"], tmp_path)
    assert result.returncode == 1
    assert "PySide6" in result.stdout
