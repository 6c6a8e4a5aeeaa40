"""Analytic queueing formulas: quick answers and validation oracles.

Pure numpy/scipy; nothing here imports the rest of simsla.  Times and rates
use one consistent unit chosen by the caller (simsla uses seconds).

* :mod:`.erlang` -- Erlang B and Erlang C (M/M/c), re-exporting Erlang A.
* :mod:`.abandonment` -- exact Erlang A (M/M/c+M, exponential patience).
* :mod:`.priority` -- Cobham's priority-queue mean waits.
* :mod:`.single` -- M/G/1 Pollaczek-Khinchine and M/M/1 helpers.
* :mod:`.network` -- open Jackson networks of M/M/c nodes.
* :mod:`.staffing` -- square-root staffing and Erlang calculators.
"""

from .erlang import (
    ErlangAResult,
    ErlangCResult,
    erlang_a,
    erlang_b,
    erlang_c,
    erlang_c_result,
    mean_wait,
    occupancy,
    service_level,
)
from .network import JacksonResult, jackson_network, tandem
from .priority import (
    PriorityResult,
    priority_mg1_nonpreemptive,
    priority_mg1_preemptive_resume,
    priority_mmc_nonpreemptive,
)
from .single import (
    mg1_mean_sojourn,
    mg1_mean_wait,
    mm1_mean_number,
    mm1_mean_sojourn,
    mm1_mean_wait,
    mm1_service_level,
    mm1_utilisation,
    service_second_moment,
)
from .staffing import (
    interval_requirement,
    service_level_for_staff,
    sqrt_staffing,
    staff_for_service_level,
)

__all__ = [
    "ErlangAResult",
    "ErlangCResult",
    "JacksonResult",
    "PriorityResult",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "erlang_c_result",
    "interval_requirement",
    "jackson_network",
    "mean_wait",
    "mg1_mean_sojourn",
    "mg1_mean_wait",
    "mm1_mean_number",
    "mm1_mean_sojourn",
    "mm1_mean_wait",
    "mm1_service_level",
    "mm1_utilisation",
    "occupancy",
    "priority_mg1_nonpreemptive",
    "priority_mg1_preemptive_resume",
    "priority_mmc_nonpreemptive",
    "service_level",
    "service_level_for_staff",
    "service_second_moment",
    "sqrt_staffing",
    "staff_for_service_level",
    "tandem",
]
