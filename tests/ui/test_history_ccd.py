"""The run history's key result names a critical current density only for a run that ended in a short."""

from workbench.cell import Sample
from workbench.store import Store


def test_history_key_result_shows_a_ccd_only_for_a_run_ended_by_a_short(tmp_path):
    from ui.history import key_result

    with Store(tmp_path / "w.sqlite") as store:
        for status in ("failed", "aborted", "completed", "shorted", "current_may_be_on"):
            run_id = store.create_run("ccd", sample=Sample.paper("EtOH4000"), parameters={})
            result = {"critical_current_density_mA_cm2": 0.5, "highest_step_without_short_mA_cm2": 0.5}
            if status == "current_may_be_on":
                result["ended_as"] = "shorted"
            store.finish_run(run_id, status, reason=f"the {status} reason", result=result)
        shown = {r.status: key_result(r) for r in store.runs()}
    assert shown["shorted"] == shown["current_may_be_on"] == "CCD 0.5 mA/cm²"
    assert shown["failed"] == "the failed reason" and shown["aborted"] == "the aborted reason"
    assert shown["completed"] == "the completed reason"   # not every step: no claim at all
