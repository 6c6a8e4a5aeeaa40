"""Benchmarks of simsla.decide: one command, one table.

    .venv/bin/python benchmarks/decide.py            # everything
    .venv/bin/python benchmarks/decide.py --quick    # smaller sizes, a smoke run

What is measured:

1. ``find_staffing`` on ``scenarios/municipal-it-desk.yaml`` (default
   targets: every SLA and OLA ticket target, confidence 0.9) with 2 workers:
   wall time, candidates evaluated, replications and replication-years
   simulated, the weekly cost found versus the current one.
2. Common random numbers: 9 versus 10 desk agents (M/M/c, 7 Erlang), R
   replications each; variance of the per-replication difference of the
   service level (share answered within 20 s) with the same seed (CRN) and
   with independent seeds; their ratio with a 95 % F interval.
3. Replications per second of the municipal scenario (13 weeks + warm-up)
   with 1 worker, 2 worker processes and a Dask LocalCluster of 2 workers
   (the cluster is warmed up with one replication first).

The machine's load matters for every figure; it is printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import simsla  # noqa: E402
from simsla.decide.executors import make_executor  # noqa: E402
from simsla.decide.staffing import find_staffing  # noqa: E402

MUNICIPAL = ROOT / "scenarios" / "municipal-it-desk.yaml"


def bench_staffing(quick: bool) -> dict:
    sc = simsla.load_scenario(MUNICIPAL)
    t0 = time.perf_counter()
    res = find_staffing(sc, replications=4 if quick else 6, seed=1, workers=2,
                        progress=lambda m: print(f"  [{time.perf_counter() - t0:6.1f}s] {m[:150]}", flush=True))
    s = res.search
    return {"seconds": time.perf_counter() - t0, "candidates": s["candidates_evaluated"],
            "replications": s["replications_simulated"], "replication_years": s["replication_years"],
            "cost": res.total_cost, "current_cost": res.current_cost, "meets_all": res.meets_all,
            "check_independent_holds": res.check_independent["holds"],
            "not_attainable": len(s["targets_not_attainable"]), "staff": res.staff}


def bench_crn(quick: bool) -> dict:
    R = 10 if quick else 20

    def make(c: int) -> simsla.Scenario:
        return simsla.Scenario.model_validate({
            "name": "crn", "start": "2026-01-05", "timezone": "UTC", "horizon": "2d", "warmup": "4h",
            "services": [{"name": "helpdesk"}],
            "demand": [{"name": "calls", "channel": "phone", "type": "incident", "volume": "84/h"}],
            "groups": [{"name": "desk", "role": "desk", "staff": c, "first_contact_resolution": 1.0,
                        "discipline": "fifo", "handling": {"dist": "exponential", "mean": "5m"}}]})

    def sl(res: simsla.Results) -> np.ndarray:
        t = res.tickets
        return (t["wait"] <= 20.0).groupby(t["replication"]).mean().to_numpy()

    s9 = sl(simsla.simulate(make(9), replications=R, seed=101, workers=2))
    s10c = sl(simsla.simulate(make(10), replications=R, seed=101, workers=2))
    s10i = sl(simsla.simulate(make(10), replications=R, seed=202, workers=2))
    v_crn, v_ind = np.var(s10c - s9, ddof=1), np.var(s10i - s9, ddof=1)
    ratio = v_ind / v_crn
    df = R - 1
    return {"R": R, "var_crn": v_crn, "var_independent": v_ind, "ratio": ratio,
            "ratio_ci95": [ratio / stats.f.ppf(0.975, df, df), ratio / stats.f.ppf(0.025, df, df)],
            "diff_sl_crn": float(np.mean(s10c - s9))}


def bench_throughput(quick: bool) -> dict:
    sc = simsla.load_scenario(MUNICIPAL)
    n = 2 if quick else 4
    out = {}
    t = time.perf_counter()
    simsla.simulate(sc, replications=n, seed=1, workers=1)
    out["1 worker"] = n / (time.perf_counter() - t)
    with make_executor("processes:2") as ex:
        t = time.perf_counter()
        simsla.simulate(sc, replications=n, seed=1, executor=ex)
        out["2 processes"] = n / (time.perf_counter() - t)
    with make_executor("local") as ex:
        simsla.simulate(sc.model_copy(update={"horizon": 86400.0}), replications=2, seed=9, executor=ex)  # warm-up
        t = time.perf_counter()
        simsla.simulate(sc, replications=n, seed=1, executor=ex)
        out["dask LocalCluster(2)"] = n / (time.perf_counter() - t)
    out["replications"] = n
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--skip-staffing", action="store_true")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "decide.json"))
    args = ap.parse_args()
    load = os.getloadavg()
    print(f"cores: {os.cpu_count()}, load average: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    results: dict = {"load_average": load}
    if not args.skip_staffing:
        print("find_staffing on the municipal desk ...")
        results["staffing"] = bench_staffing(args.quick)
    print("CRN variance reduction ...")
    results["crn"] = bench_crn(args.quick)
    print("replications per second ...")
    results["throughput"] = bench_throughput(args.quick)

    rows = []
    if "staffing" in results:
        s = results["staffing"]
        rows += [("find_staffing, municipal desk, 2 workers", f"{s['seconds']:.0f} s"),
                 ("  candidates evaluated", f"{s['candidates']}"),
                 ("  replications / replication-years simulated", f"{s['replications']} / {s['replication_years']:.1f}"),
                 ("  weekly cost found / current", f"{s['cost']:,.0f} / {s['current_cost']:,.0f}"),
                 ("  all attainable targets met; independent seed holds", f"{s['meets_all']}; {s['check_independent_holds']}"),
                 ("  targets not attainable by staffing", f"{s['not_attainable']}")]
    c = results["crn"]
    rows += [(f"CRN variance ratio, 9 vs 10 agents (R={c['R']})",
              f"{c['ratio']:.1f} (95% CI {c['ratio_ci95'][0]:.1f}-{c['ratio_ci95'][1]:.1f})")]
    t = results["throughput"]
    for k in ("1 worker", "2 processes", "dask LocalCluster(2)"):
        rows.append((f"municipal replications/s, {k}", f"{t[k]:.2f}"))
    width = max(len(r[0]) for r in rows)
    print()
    print(f"{'measure':{width}s}  value")
    print("-" * (width + 30))
    for name, value in rows:
        print(f"{name:{width}s}  {value}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2, default=float))


if __name__ == "__main__":
    main()
