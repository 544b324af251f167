"""The measurements the bench can run, one module each; ``PROCEDURES`` maps a kind to its class."""

from workbench.procedures.base import Plan, Procedure, ProcedureError, RunContext, Stopped
from workbench.procedures.ccd import CCDParameters, CCDTest
from workbench.procedures.formation import FormationCycles, FormationParameters
from workbench.procedures.hold import GalvanostaticHold, HoldParameters
from workbench.procedures.impedance_sweep import ImpedanceSweep, ImpedanceSweepParameters, SubRange
from workbench.procedures.parameters import ParameterError
from workbench.procedures.plating_stripping import PlatingStripping, PlatingStrippingParameters
from workbench.procedures.sequence import Sequence, SequenceParameters
from workbench.procedures.temperature_step import TemperatureStep, TemperatureStepParameters

PROCEDURES = {
    cls.kind: cls
    for cls in (ImpedanceSweep, PlatingStripping, CCDTest, FormationCycles, GalvanostaticHold, TemperatureStep,
                Sequence)
}


def procedure_for(parameters) -> Procedure:
    """The procedure that runs these parameters."""
    for cls in PROCEDURES.values():
        if isinstance(parameters, cls.Parameters):
            return cls(parameters)
    raise TypeError(f"no procedure takes {type(parameters).__name__}")


__all__ = [
    "PROCEDURES",
    "CCDParameters",
    "CCDTest",
    "FormationCycles",
    "FormationParameters",
    "GalvanostaticHold",
    "HoldParameters",
    "ImpedanceSweep",
    "ImpedanceSweepParameters",
    "ParameterError",
    "Plan",
    "PlatingStripping",
    "PlatingStrippingParameters",
    "Procedure",
    "ProcedureError",
    "RunContext",
    "Sequence",
    "SequenceParameters",
    "Stopped",
    "SubRange",
    "TemperatureStep",
    "TemperatureStepParameters",
    "procedure_for",
]
