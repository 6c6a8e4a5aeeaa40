"""What ``find_staffing`` answers: the staffing, its checks, occupancy, ticket classes and the recommended scenario."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from simsla.decide._common import jsonable, scenario_yaml, write_csv_atomic, write_json_atomic, write_text_atomic
from simsla.decide.staffing_occupancy import DEFAULT_MAX_OCCUPANCY
from simsla.model import Scenario


@dataclass
class StaffingResult:
    """What ``find_staffing`` found.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per block: group, agents (the agent group, only when the
        scenario has agent groups), block, days, hours, hours_per_week, current
        and staff (agents on the floor), shrinkage, paid_fte (paid
        full-time equivalents behind ``staff``), paid_hours_per_week,
        cost_per_hour (per paid hour), cost_per_week.
    total_cost, current_cost : float
        Weekly cost of the found and of the scenario's staffing.
    targets : pandas.DataFrame
        Per target: status (``met``, ``failed`` or ``not attainable by
        staffing``), periods, breaches, breach probability with its Wilson
        95 % interval at full size.
    check_independent : dict
        Check (a): seed, replications, per target the breach probability
        with its interval under an independent seed, the ticket classes
        found worse there, and whether it holds.
    check_minimal : pandas.DataFrame
        Check (b): per block, the staffing with one agent fewer and what then
        breaks (targets, the occupancy cap, protected classes).
    search : dict
        Candidates evaluated and pruned, replications simulated (and read
        from the log), replication-years, seconds, seeds, sizes, the start.
    occupancy : pandas.DataFrame
        Per party at the recommendation: offered load, capacity, utilisation, within the cap.
    classes : pandas.DataFrame
        Per ticket class and statistic at full size: time to resolution
        against today's staffing, the ratio with its interval, status.
    protection : dict
        The protection rule applied (tolerance, classes, minimum tickets).
    recommended : Scenario or None
        The scenario with the recommended staffing.
    history : list of dict
        The steps of the search.
    """

    table: pd.DataFrame
    total_cost: float
    current_cost: float
    targets: pd.DataFrame
    check_independent: dict[str, Any]
    check_minimal: pd.DataFrame
    search: dict[str, Any]
    occupancy: pd.DataFrame = field(default_factory=pd.DataFrame)
    classes: pd.DataFrame = field(default_factory=pd.DataFrame)
    protection: dict[str, Any] = field(default_factory=dict)
    recommended: Scenario | None = None
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def staff(self) -> dict[str, int]:
        """Headcount on the floor per block, keyed ``group:block`` (``group:agent group/block`` with agent groups)."""
        agents = self.table["agents"] if "agents" in self.table else [None] * len(self.table)
        return {f"{r.group}:{a}/{r.block}" if isinstance(a, str) else f"{r.group}:{r.block}": int(r.staff)
                for r, a in zip(self.table.itertuples(), agents)}

    @property
    def occupancy_ok(self) -> bool:
        """Every party's offered load within the cap at the recommendation."""
        return bool(self.occupancy["within_cap"].all()) if len(self.occupancy) else True

    @property
    def worse_classes(self) -> list[str]:
        """Protected classes worse than today at full size."""
        if not len(self.classes):
            return []
        return list(dict.fromkeys(self.classes.loc[self.classes["status"] == "worse", "class"]))

    @property
    def meets_all(self) -> bool:
        """Every attainable target met, every party within the cap, no protected class worse, nothing ``run`` refuses."""
        t = self.targets
        targets_met = bool((t.loc[t["status"] != "not attainable by staffing", "status"] == "met").all())
        return targets_met and self.occupancy_ok and not self.worse_classes and not self.search.get("run_would_refuse")

    def to_frame(self) -> pd.DataFrame:
        """The staffing table."""
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        """Everything, JSON-ready."""
        return jsonable({
            "staffing": self.table.to_dict(orient="records"), "total_cost_per_week": self.total_cost,
            "current_cost_per_week": self.current_cost, "meets_all": self.meets_all,
            "occupancy_ok": self.occupancy_ok, "worse_classes": self.worse_classes,
            "targets": self.targets.to_dict(orient="records"),
            "occupancy": self.occupancy.to_dict(orient="records"),
            "protection": self.protection, "classes": self.classes.to_dict(orient="records"),
            "check_independent_seed": self.check_independent,
            "check_one_fewer": self.check_minimal.to_dict(orient="records"),
            "search": self.search, "history": self.history,
        })

    def save(self, folder: str | Path) -> Path:
        """Write staffing.csv, staffing.json and recommended.yaml into ``folder`` (each atomically)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        write_csv_atomic(folder / "staffing.csv", self.table)
        write_json_atomic(folder / "staffing.json", self.to_dict())
        if self.recommended is not None:
            header = (f"{self.recommended.name}: the staffing recommended by `simsla staff` "
                      f"({self.total_cost:,.0f} per week, today {self.current_cost:,.0f}).\n"
                      "`staff` counts agents on the floor; paid FTE = on the floor / (1 - shrinkage).\n"
                      f"Every target {'met' if self.meets_all else 'NOT met (see staffing.json)'}; "
                      f"every party within the {self.search.get('max_occupancy', DEFAULT_MAX_OCCUPANCY):.0%} "
                      "occupancy cap" + ("" if self.occupancy_ok else " EXCEPT " + ", ".join(
                          self.occupancy.loc[~self.occupancy["within_cap"], "party"].astype(str))) + ".")
            write_text_atomic(folder / "recommended.yaml", scenario_yaml(self.recommended, header))
        return folder
