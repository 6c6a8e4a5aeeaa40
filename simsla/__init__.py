"""simsla: will the service levels on the table hold?  Simulate the desk and see.

Quick use::

    import simsla
    scenario = simsla.load_scenario("scenarios/municipal-it-desk.yaml")
    results = simsla.simulate(scenario, replications=20, seed=1)
    results.tickets.head()
"""

from simsla.analysis.attainment import evaluate
from simsla.experiment import Results, simulate
from simsla.io import ScenarioError, load_scenario
from simsla.model import Scenario

__version__ = "0.1.0"
__all__ = ["evaluate", "Results", "Scenario", "ScenarioError", "load_scenario", "simulate", "__version__"]
