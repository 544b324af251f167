"""The workbench runs on Windows too: no POSIX-only module, call or path where the code runs at import.

Three packages are checked, ``workbench``, ``instruments`` and ``ui``. By reading their source: no import
of a module that exists only on POSIX (fcntl, termios, pwd, resource, ...) and no POSIX-only call
(``os.kill``, ``os.fork``, ``os.getuid``, ``signal.SIGKILL``, ...) unless under a ``sys.platform`` /
``os.name`` test, and no path spelled with ``/`` (or a drive letter, or ``~``) in code that runs at import
time (module and class bodies). By running them: every module imported in a fresh interpreter, with each
import statement that our code executes checked against the POSIX-only modules.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("workbench", "instruments", "ui")
POSIX_ONLY_MODULES = {"fcntl", "termios", "tty", "pty", "pwd", "grp", "resource", "posix", "crypt", "spwd", "nis",
                      "syslog", "curses", "readline", "_posixsubprocess", "posixpath", "ossaudiodev"}
POSIX_ONLY_CALLS = {"os.kill", "os.killpg", "os.fork", "os.forkpty", "os.getuid", "os.geteuid", "os.getgid",
                    "os.getegid", "os.setsid", "os.getpgid", "os.uname", "os.mkfifo", "os.chown",
                    "signal.SIGKILL", "signal.SIGHUP", "signal.SIGALRM", "signal.SIGUSR1", "signal.SIGUSR2",
                    "signal.alarm", "signal.setitimer", "os.WNOHANG", "os.wait", "os.waitpid"}
PATH_LITERAL = re.compile(r"^(/[A-Za-z_.]|~[/\\]|[A-Za-z]:[\\/])")


def sources() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _platform_test(node: ast.If) -> bool:
    text = ast.unparse(node.test)
    return "sys.platform" in text or "os.name" in text or "platform.system" in text


class _Checker(ast.NodeVisitor):
    def __init__(self, path: Path):
        self.path = path.relative_to(ROOT)
        self.problems: list[str] = []
        self.guarded = 0
        self.in_function = 0

    def _say(self, node: ast.AST, what: str) -> None:
        self.problems.append(f"{self.path}:{node.lineno}: {what}")

    def visit_If(self, node: ast.If) -> None:
        self.visit(node.test)
        guard = _platform_test(node)
        self.guarded += guard
        for child in node.body + node.orelse:
            self.visit(child)
        self.guarded -= guard

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.split(".")[0] in POSIX_ONLY_MODULES and not self.guarded:
                self._say(node, f"imports the POSIX-only module {alias.name}")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0 and (node.module or "").split(".")[0] in POSIX_ONLY_MODULES and not self.guarded:
            self._say(node, f"imports from the POSIX-only module {node.module}")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        name = _dotted(node)
        if name in POSIX_ONLY_CALLS and not self.guarded:
            self._say(node, f"uses {name}, which does not exist (or does something else) on Windows")
        self.generic_visit(node)

    def _function(self, node) -> None:
        for decorator in getattr(node, "decorator_list", []):
            self.visit(decorator)
        for default in [*node.args.defaults, *node.args.kw_defaults]:
            if default is not None:
                self.visit(default)      # defaults are evaluated at import
        self.in_function += 1
        for child in node.body if isinstance(node.body, list) else [node.body]:
            self.visit(child)
        self.in_function -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_Constant(self, node: ast.Constant) -> None:
        if not self.in_function and isinstance(node.value, str) and PATH_LITERAL.match(node.value):
            self._say(node, f"spells the path {node.value!r} at import time")


def _without_docstrings(tree: ast.Module) -> ast.Module:
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            body[0] = ast.Pass()
    return tree


def test_no_posix_only_import_call_or_path_in_the_source():
    problems, files = [], sources()
    for path in files:
        checker = _Checker(path)
        checker.visit(_without_docstrings(ast.parse(path.read_text(encoding="utf-8"), str(path))))
        problems += checker.problems
    assert len(files) > 80
    assert not problems, "\n".join(problems)


def test_the_checker_sees_what_it_looks_for(tmp_path):
    sample = ROOT / "workbench" / "_platform_probe_sample.py"
    text = ("import fcntl\nimport os, sys\nCACHE = '/tmp/nzsp'\nHOME = '~/.nzsp'\n"
            "if sys.platform != 'win32':\n    import pwd\n    os.kill(1, 0)\n"
            "def f(p='/var/x'):\n    return '/inside/function/is/not/import/time', os.getuid()\n"
            "class K:\n    WHERE = 'C:\\\\data'\n")
    checker = _Checker(sample)
    checker.visit(_without_docstrings(ast.parse(text)))
    found = [p.split(": ", 1)[1] for p in checker.problems]
    assert found == ["imports the POSIX-only module fcntl", "spells the path '/tmp/nzsp' at import time",
                     "spells the path '~/.nzsp' at import time", "spells the path '/var/x' at import time",
                     "uses os.getuid, which does not exist (or does something else) on Windows",
                     "spells the path 'C:\\\\data' at import time"]


PROBE = r"""
import builtins, importlib, json, pkgutil, sys
packages, forbidden = sys.argv[1].split(","), set(sys.argv[2].split(","))
hits, original = [], builtins.__import__

def checked_import(name, globals=None, locals=None, fromlist=(), level=0):
    importer = (globals or {}).get("__name__", "")
    if level == 0 and name.split(".")[0] in forbidden and importer.split(".")[0] in packages:
        hits.append(f"{importer} imports {name}")
    return original(name, globals, locals, fromlist, level)

builtins.__import__ = checked_import
modules = []
for package in packages:
    root = importlib.import_module(package)
    modules.append(package)
    for info in pkgutil.walk_packages(root.__path__, package + "."):
        if info.name.rsplit(".", 1)[-1] == "__main__":
            continue
        importlib.import_module(info.name)
        modules.append(info.name)
print(json.dumps({"modules": modules, "hits": hits}))
"""


def test_every_module_imports_without_a_posix_only_module():
    done = subprocess.run(
        [sys.executable, "-c", PROBE, ",".join(PACKAGES), ",".join(sorted(POSIX_ONLY_MODULES))],
        capture_output=True, text=True, timeout=300, cwd=ROOT, env={**__import__("os").environ,
                                                                     "QT_QPA_PLATFORM": "offscreen"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.splitlines()[-1])
    assert len(report["modules"]) > 80 and "instruments.biologic.eclib_ctypes" in report["modules"]
    assert report["hits"] == []
