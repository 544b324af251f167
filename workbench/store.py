"""Where runs are kept: one SQLite database per workspace.

Every data point is committed before any listener sees it (the runner calls ``add_point`` and only
then its listeners), so what the user saw on screen is on disk, and killing the process at any moment
loses nothing it had emitted. The database runs in WAL mode with one transaction per point.

Durability: with ``durability="process"`` (default, ``synchronous=NORMAL``) a committed point survives
the death of the process (SIGKILL, crash); with ``durability="power"`` (``synchronous=FULL``) each
commit is also fsynced and survives a power cut, at a few thousand points per second instead of tens
of thousands (see ``benchmarks/engine_speed.py``).

Tables: ``runs`` (one row per run: sample, geometry, instruments, parameters, plan, result, status),
``points`` (run id, seq, kind, time and the kind's values, NULL elsewhere), ``events`` (safety events,
steps, failures, as JSON) and ``fits`` (equivalent-circuit fits attached to a run).
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import os
import socket
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from workbench.events import POINT_FIELDS

SCHEMA_VERSION = 1

POINT_COLUMNS = (
    "frequency_hz",
    "z_real_ohm",
    "z_imag_ohm",
    "voltage_v",
    "current_a",
    "current_density_mA_cm2",
    "half_cycle",
    "step",
    "temperature_c",
    "setpoint_c",
)

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    sample_name TEXT,
    surface_state TEXT,
    thickness_mm REAL,
    electrode_diameter_mm REAL,
    area_cm2 REAL,
    sample_notes TEXT,
    temperature_c REAL,
    instruments TEXT,
    software_version TEXT,
    parameters TEXT,
    plan TEXT,
    result TEXT,
    abort_reason TEXT
);
CREATE TABLE IF NOT EXISTS points (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    time_s REAL NOT NULL,
    {", ".join(f"{c} {'INTEGER' if c in ('half_cycle', 'step') else 'REAL'}" for c in POINT_COLUMNS)},
    PRIMARY KEY (run_id, seq)
);
CREATE INDEX IF NOT EXISTS points_kind ON points(run_id, kind, seq);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    time_s REAL,
    kind TEXT NOT NULL,
    payload TEXT
);
CREATE TABLE IF NOT EXISTS run_owners (
    run_id INTEGER PRIMARY KEY REFERENCES runs(id),
    host TEXT NOT NULL,
    pid INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS fits (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    created_at TEXT NOT NULL,
    circuit TEXT NOT NULL,
    values_json TEXT NOT NULL,
    errors_json TEXT,
    chi_square REAL,
    notes TEXT
);
"""


def default_store_path() -> Path:
    """``$XDG_DATA_HOME/nzsp-workbench/workspace.sqlite`` (``~/.local/share/...`` by default)."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "nzsp-workbench" / "workspace.sqlite"


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def to_jsonable(value: Any) -> Any:
    """Dataclasses, numpy numbers, tuples and non-finite floats turned into plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return to_jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def _dumps(value: Any) -> str:
    return json.dumps(to_jsonable(value))


class StoreError(RuntimeError):
    """The store cannot do what was asked (unknown run, unreadable file)."""


@dataclass(frozen=True)
class RunRecord:
    """One row of ``runs``, JSON columns decoded."""

    id: int
    kind: str
    status: str
    started_at: str
    finished_at: str | None
    sample_name: str | None
    surface_state: str | None
    thickness_mm: float | None
    electrode_diameter_mm: float | None
    area_cm2: float | None
    sample_notes: str | None
    temperature_c: float | None
    instruments: dict[str, str]
    software_version: str | None
    parameters: dict[str, Any]
    plan: dict[str, Any]
    result: dict[str, Any]
    abort_reason: str | None


class Store:
    """The workspace database. Thread-safe: one connection, one lock."""

    def __init__(self, path: str | Path | None = None, *, durability: str = "process"):
        if durability not in ("process", "power"):
            raise ValueError("durability must be 'process' or 'power'")
        self.path = Path(path) if path is not None else default_store_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={'FULL' if durability == 'power' else 'NORMAL'}")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(_SCHEMA)
            self._db.execute(
                "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: not a workbench store ({exc}).") from exc
        self._next_seq: dict[int, int] = {}
        self.mark_interrupted_runs()

    def mark_interrupted_runs(self) -> list[int]:
        """Runs still 'running' whose process on this machine has gone (killed, crashed, power lost)
        become 'interrupted'; their points up to that moment are kept. Returns their ids."""
        host = socket.gethostname()
        with self._lock:
            rows = self._db.execute(
                "SELECT r.id, o.pid FROM runs r JOIN run_owners o ON o.run_id = r.id "
                "WHERE r.status = 'running' AND o.host = ?", (host,)).fetchall()
            gone = [run_id for run_id, pid in rows if not _process_alive(pid)]
            for run_id in gone:
                self._db.execute(
                    "UPDATE runs SET status='interrupted', abort_reason=? WHERE id=?",
                    ("the process running it ended without finishing it; the points it had measured are kept",
                     run_id))
            return gone

    # --- writing -------------------------------------------------------------------------------
    def create_run(
        self,
        kind: str,
        *,
        sample: Any = None,
        parameters: Any = None,
        plan: Any = None,
        instruments: dict[str, str] | None = None,
        temperature_c: float | None = None,
        software_version: str | None = None,
    ) -> int:
        """Open a run (status ``running``) and return its id."""
        s = sample
        row = (
            kind,
            "running",
            _now_iso(),
            getattr(s, "name", None),
            getattr(s, "surface_state", None),
            getattr(s, "thickness_mm", None),
            getattr(s, "electrode_diameter_mm", None),
            getattr(s, "area_cm2", None),
            getattr(s, "notes", None),
            temperature_c,
            _dumps(instruments or {}),
            software_version,
            _dumps(parameters or {}),
            _dumps(plan or {}),
            _dumps({}),
        )
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO runs (kind, status, started_at, sample_name, surface_state, thickness_mm, "
                "electrode_diameter_mm, area_cm2, sample_notes, temperature_c, instruments, "
                "software_version, parameters, plan, result) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                row,
            )
            run_id = int(cur.lastrowid)
            self._db.execute("INSERT INTO run_owners VALUES (?,?,?)", (run_id, socket.gethostname(), os.getpid()))
            self._next_seq[run_id] = 0
            return run_id

    def add_point(self, run_id: int, kind: str, time_s: float, values: dict[str, float]) -> int:
        """Commit one point; return its sequence number within the run (0, 1, 2, ...)."""
        return self.add_points(run_id, [(kind, time_s, values)])[0]

    def add_points(self, run_id: int, points: list[tuple[str, float, dict[str, float]]]) -> list[int]:
        """Commit several points in one transaction; return their sequence numbers."""
        with self._lock:
            seq = self._next_seq.get(run_id)
            if seq is None:
                row = self._db.execute(
                    "SELECT COALESCE(MAX(seq) + 1, 0) FROM points WHERE run_id=?", (run_id,)
                ).fetchone()
                seq = int(row[0])
            rows, seqs = [], []
            for kind, time_s, values in points:
                if kind not in POINT_FIELDS:
                    raise StoreError(f"unknown point kind {kind!r}; expected one of {sorted(POINT_FIELDS)}")
                rows.append((run_id, seq, kind, float(time_s), *[values.get(c) for c in POINT_COLUMNS]))
                seqs.append(seq)
                seq += 1
            self._db.execute("BEGIN")
            try:
                self._db.executemany(
                    f"INSERT INTO points (run_id, seq, kind, time_s, {', '.join(POINT_COLUMNS)}) "
                    f"VALUES ({', '.join('?' * (4 + len(POINT_COLUMNS)))})",
                    rows,
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._next_seq[run_id] = seq
            return seqs

    def add_event(self, run_id: int, kind: str, payload: Any, time_s: float | None = None) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO events (run_id, time_s, kind, payload) VALUES (?,?,?,?)",
                (run_id, time_s, kind, _dumps(payload)),
            )

    def finish_run(self, run_id: int, status: str, *, reason: str = "", result: Any = None) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE runs SET status=?, finished_at=?, abort_reason=?, result=? WHERE id=?",
                (status, _now_iso(), reason or None, _dumps(result or {}), run_id),
            )
            self._next_seq.pop(run_id, None)

    def add_fit(
        self,
        run_id: int,
        circuit: str,
        values: dict[str, float],
        *,
        errors: dict[str, float] | None = None,
        chi_square: float | None = None,
        notes: str = "",
    ) -> int:
        """Attach an equivalent-circuit fit to a run."""
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO fits (run_id, created_at, circuit, values_json, errors_json, chi_square, notes) "
                "VALUES (?,?,?,?,?,?,?)",
                (run_id, _now_iso(), circuit, _dumps(values), _dumps(errors or {}), chi_square, notes),
            )
            return int(cur.lastrowid)

    # --- reading -------------------------------------------------------------------------------
    def _query(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def runs(self) -> list[RunRecord]:
        """All runs, oldest first."""
        return [self._record(row) for row in self._query(f"SELECT {_RUN_COLUMNS} FROM runs ORDER BY id")]

    def run(self, run_id: int) -> RunRecord:
        rows = self._query(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id=?", (int(run_id),))
        if not rows:
            raise StoreError(f"no run {run_id} in {self.path}; `python -m workbench runs` lists them.")
        return self._record(rows[0])

    @staticmethod
    def _record(row: tuple) -> RunRecord:
        values = dict(zip(_RUN_COLUMNS.split(", "), row, strict=True))
        for key in ("instruments", "parameters", "plan", "result"):
            values[key] = json.loads(values[key]) if values[key] else {}
        return RunRecord(**values)

    def points(self, run_id: int, kind: str, *, as_frame: bool = False):
        """The run's points of one kind: a dict of numpy arrays (seq, time_s and the kind's values),
        or a pandas DataFrame with ``as_frame=True``."""
        if kind not in POINT_FIELDS:
            raise StoreError(f"unknown point kind {kind!r}; expected one of {sorted(POINT_FIELDS)}")
        columns = ("seq", "time_s", *POINT_FIELDS[kind])
        rows = self._query(
            f"SELECT {', '.join(columns)} FROM points WHERE run_id=? AND kind=? ORDER BY seq",
            (int(run_id), kind),
        )
        table = np.array(rows, dtype=float).reshape(len(rows), len(columns))
        arrays = {c: table[:, i] for i, c in enumerate(columns)}
        arrays["seq"] = arrays["seq"].astype(np.int64)
        for key in ("half_cycle", "step"):
            if key in arrays:
                arrays[key] = arrays[key].astype(np.int64)
        if as_frame:
            import pandas as pd

            return pd.DataFrame(arrays)
        return arrays

    def spectrum(self, run_id: int) -> tuple[np.ndarray, np.ndarray]:
        """The run's impedance points as (frequency_hz, complex Z in Ohm); empty arrays if it has none."""
        data = self.points(run_id, "impedance")
        return data["frequency_hz"], data["z_real_ohm"] + 1j * data["z_imag_ohm"]

    def point_seqs(self, run_id: int) -> set[int]:
        return {r[0] for r in self._query("SELECT seq FROM points WHERE run_id=?", (int(run_id),))}

    def point_kinds(self, run_id: int) -> dict[str, int]:
        """How many points of each kind a run holds."""
        rows = self._query("SELECT kind, COUNT(*) FROM points WHERE run_id=? GROUP BY kind", (int(run_id),))
        return dict(rows)

    def events(self, run_id: int, kind: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT kind, time_s, payload FROM events WHERE run_id=?"
        args: tuple = (int(run_id),)
        if kind is not None:
            sql += " AND kind=?"
            args += (kind,)
        rows = self._query(sql + " ORDER BY id", args)
        return [{"kind": k, "time_s": t, **json.loads(p or "{}")} for k, t, p in rows]

    def fits(self, run_id: int) -> list[dict[str, Any]]:
        rows = self._query(
            "SELECT id, created_at, circuit, values_json, errors_json, chi_square, notes "
            "FROM fits WHERE run_id=? ORDER BY id",
            (int(run_id),),
        )
        return [
            {
                "id": i,
                "created_at": c,
                "circuit": circ,
                "values": json.loads(v),
                "errors": json.loads(e or "{}"),
                "chi_square": x,
                "notes": n,
            }
            for i, c, circ, v, e, x, n in rows
        ]

    # --- export --------------------------------------------------------------------------------
    def export_csv(self, run_id: int, path: str | Path, kind: str | None = None) -> Path:
        """Write the run's points (of one kind, or every kind it has) as CSV with a commented header."""
        record = self.run(run_id)
        kinds = [kind] if kind else [k for k in POINT_FIELDS if k in self.point_kinds(run_id)]
        path = Path(path)
        with path.open("w", newline="", encoding="utf-8") as handle:
            handle.write(
                f"# run {record.id}: {record.kind}, {record.status}; sample {record.sample_name} "
                f"({record.surface_state}), area_cm2={record.area_cm2}\n"
            )
            if len(kinds) <= 1:
                columns = ["seq", "time_s", *POINT_FIELDS[kinds[0]]] if kinds else ["seq", "time_s"]
            else:
                columns = ["seq", "kind", "time_s", *dict.fromkeys(c for k in kinds for c in POINT_FIELDS[k])]
            writer = csv.writer(handle)
            writer.writerow(columns)
            select = ", ".join(columns)
            where = "run_id=?" + (" AND kind=?" if kind else "")
            args = (run_id, kind) if kind else (run_id,)
            for row in self._query(f"SELECT {select} FROM points WHERE {where} ORDER BY seq", args):
                writer.writerow(["" if v is None else v for v in row])
        return path

    def export_zview(self, run_id: int, path: str | Path) -> Path:
        """Write the run's impedance points as a ZView ``.z`` file."""
        data = self.points(run_id, "impedance")
        if len(data["seq"]) == 0:
            raise StoreError(f"run {run_id} has no impedance points to export as .z")
        import pandas as pd

        from workbench.formats import write_zview

        record = self.run(run_id)
        options = {"comment": f"run {run_id} {record.sample_name} ({record.surface_state})"}
        amplitude_v = record.parameters.get("amplitude_v")
        if isinstance(amplitude_v, int | float):
            options["amplitude_v"] = amplitude_v
        if record.area_cm2:
            options["area_cm2"] = record.area_cm2
        frame = pd.DataFrame({k: data[k] for k in ("frequency_hz", "z_real_ohm", "z_imag_ohm")})
        return Path(write_zview(frame, path, **options))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


_RUN_COLUMNS = ", ".join(f.name for f in dataclasses.fields(RunRecord))
