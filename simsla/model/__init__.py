"""The scenario as plain, frozen, validated data (no SimPy, no files)."""

from simsla.model.agreements import Agreement, Target
from simsla.model.calendar import ALWAYS, Calendar, Shift
from simsla.model.chain import RESOLVED, Group, HandlingTimes, Probabilities, Route, Supplier, When
from simsla.model.demand import DemandStream, PriorityMatrix, Profile, Service
from simsla.model.distributions import Distribution
from simsla.model.scenario import Scenario

__all__ = [
    "Agreement", "Target", "ALWAYS", "Calendar", "DemandStream", "Distribution", "Group", "HandlingTimes", "PriorityMatrix",
    "Probabilities", "Profile", "RESOLVED", "Route", "Scenario", "Service", "Shift", "Supplier", "When",
]
