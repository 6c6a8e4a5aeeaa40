"""The fitted scenario through the gate ``simsla run`` uses: staffing consistent with the fitted work.

A fit whose output ``run`` refuses is not a fit.  The groups of a ticket fit have ample staff (their
``handling`` is the time a ticket spends with them, so no queue may be added); the offered load that
decides "ample" is the gate's own (``simsla.experiment.stability.load_rows`` over the written file), not
an estimate of the fit's, so the two cannot disagree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from simsla.fit.emit import ScenarioText
from simsla.fit.quality import Quality


@dataclass
class GateCheck:
    """What ``simsla run``'s gate says about the fitted scenario: utilisation per group, refusals left."""

    utilisation: dict[str, float]
    offered: dict[str, float]
    refusals: list[str]
    rounds: int


def ample_staff(offered: float) -> int:
    """Enough agents that (almost) nobody queues: offered load + 4 x its square root + 3 (capped at 10 000)."""
    return int(min(10_000, math.ceil(offered + 4 * math.sqrt(max(offered, 0.0)) + 3)))


def settle_staff(sc: ScenarioText, quality: Quality, rounds: int = 4) -> GateCheck:
    """Run the gate ``simsla run`` uses (``simsla.experiment.gate.preflight``) on the scenario as written and
    raise each group's ``staff`` to the ample staffing of the offered load *the gate computes* (its traffic
    equations over the fitted routing, loops included, and its mean work per visit), until the gate
    accepts it or ``rounds`` are used.  What it still refuses is added to the data quality (and the header)."""
    import yaml

    from simsla.experiment.gate import preflight
    from simsla.experiment.stability import load_rows
    from simsla.model import Scenario

    groups = {g["name"]: g for g in sc.data["groups"]}
    rows, refusals, n = [], [], 0
    for n in range(1, rounds + 1):
        scenario = Scenario.model_validate(yaml.safe_load(sc.text()))
        pre = preflight(scenario, replications=1, workers=1)
        refusals = [str(r) for r in pre.refusals]
        if pre.flow is None:
            break
        rows = load_rows(scenario, pre.flow)
        changed = False
        for r in rows:
            g = groups.get(str(r["party"]))
            if g is None or g.get("role") == "desk":
                continue
            if "shifts" in g:    # office hours: the average headcount is the block's times its share of the run
                block = g["shifts"][0]
                share = r["capacity"] / block["staff"] if r["capacity"] > 0 else 50 / 168
                need = int(min(10_000, math.ceil(ample_staff(r["offered_erlangs"]) / max(share, 1e-3))))
                if need > block["staff"]:
                    block["staff"], changed = need, True
                continue
            need = ample_staff(r["offered_erlangs"])
            if need > g["staff"]:
                g["staff"], changed = need, True
        if not changed and not refusals:
            break
    util = {str(r["party"]): float(r["utilization"]) for r in rows if r["kind"] == "group"}
    offered = {str(r["party"]): float(r["offered_erlangs"]) for r in rows if r["kind"] == "group"}
    quality.add("refusals of `simsla run`'s gate left in the fitted scenario", len(refusals),
                "see the scenario's header; " + "; ".join(refusals)[:200] if refusals else "")
    if refusals:
        sc.header += ["", "WARNING: `simsla run` refuses this scenario as written:"] + [f"  {r}" for r in refusals]
    return GateCheck(util, offered, refusals, n)
