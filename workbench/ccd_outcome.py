"""What did a critical-current-density test find? One answer for the run history, the command line and
the window.

A critical current density exists only where the test ended in a detected short: the highest current
density whose step completed before the short. A run that was aborted, failed, stopped at the source's
compliance or completed every step without a short has none (a completed one says only "no short up to
the last step"), whatever numbers its result holds; old stores that kept one for such runs are read by
the same rule.
"""

from __future__ import annotations

from typing import Any


def ended_in_short(status: str, result: dict[str, Any] | None) -> bool:
    """Whether a run ended because a short was detected (also when the cycler's output could not be
    confirmed off afterwards: the status is then ``current_may_be_on`` and ``result["ended_as"]`` says)."""
    return status == "shorted" or (result or {}).get("ended_as") == "shorted"


def critical_current_density(status: str, result: dict[str, Any] | None) -> float | None:
    """The run's critical current density (mA/cm²), or None when it has none."""
    if not ended_in_short(status, result):
        return None
    return (result or {}).get("critical_current_density_mA_cm2")


def ccd_summary(status: str, result: dict[str, Any] | None) -> str | None:
    """The key result of a CCD run in a few words ("CCD 9.5 mA/cm²", "CCD below 0.5 mA/cm²", "no short up
    to 15 mA/cm²"), or None for a run that is no CCD test or found nothing (its reason says why)."""
    result = result or {}
    if "critical_current_density_mA_cm2" not in result:
        return None
    ccd = critical_current_density(status, result)
    if ccd is not None:
        return f"CCD {ccd:g} mA/cm²"
    failed_at = result.get("failed_at_current_density_mA_cm2")
    if ended_in_short(status, result):
        return f"CCD below {failed_at:g} mA/cm²" if failed_at is not None else "CCD below the first step"
    highest = result.get("highest_step_without_short_mA_cm2")
    if status == "completed" and result.get("all_steps_completed") and highest is not None:
        return f"no short up to {highest:g} mA/cm²"
    return None
