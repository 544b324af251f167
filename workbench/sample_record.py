"""Has this sample shorted before? What the store's runs say about the cell a sample name stands for.

A shorted cell stays shorted: a Na filament through the pellet does not go away when the window is
closed. The store is the memory of that across restarts. The last run of the sample (same name, surface
state and geometry: another description is another pellet) says it: a run that ended in a detected short,
or a run whose cell was already described as shorted when it started (``instruments["cell"]``). A later
run on an intact cell of that name (a replaced pellet) clears it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from workbench.ccd_outcome import ended_in_short
from workbench.cell import Sample


@dataclass(frozen=True)
class RecordedShort:
    """The sample's cell is shorted since ``run_id``: ``state`` 'soft' or 'hard'."""

    run_id: int
    state: str

    def text(self, sample_name: str) -> str:
        return (f"{sample_name} shorted in run {self.run_id}: its cell stays shorted; for a new pellet "
                "give the sample a new name (or replace the cell).")


def _same_cell(record, sample: Sample) -> bool:
    return (record.sample_name == sample.name and record.surface_state == sample.surface_state
            and record.thickness_mm is not None and record.electrode_diameter_mm is not None
            and math.isclose(record.thickness_mm, sample.thickness_mm, rel_tol=1e-6)
            and math.isclose(record.electrode_diameter_mm, sample.electrode_diameter_mm, rel_tol=1e-6))


def recorded_short(store, sample: Sample) -> RecordedShort | None:
    """The short the store records for this sample's cell, or None (never shorted, or replaced since)."""
    try:
        runs = [r for r in store.runs() if _same_cell(r, sample)]
    except Exception:  # noqa: BLE001 - a store that cannot be read records nothing we can use
        return None
    since = None
    for record in runs:
        described = str((record.instruments or {}).get("cell", ""))
        if ended_in_short(record.status, record.result):
            criterion = ((record.result or {}).get("safety") or {}).get("criterion", "")
            hard = criterion == "hard_short" or "hard-shorted" in described
            since = RecordedShort(since.run_id if since else record.id, "hard" if hard else "soft")
        elif "-shorted" in described:
            state = "hard" if "hard-shorted" in described else "soft"
            since = RecordedShort(since.run_id if since else record.id, state)
        elif described:
            since = None   # measured intact: a new pellet under the same name
    return since
