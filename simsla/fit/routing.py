"""Routing between groups: collapse rare parties, then transition probabilities between visits."""

from __future__ import annotations

import numpy as np
import pandas as pd

OTHER = "other groups"
AGAIN = " again"      # suffix of a group's later visits when first visits are a party of their own


def split_returning(visits: pd.DataFrame) -> pd.DataFrame:
    """Mapping option ``first_visits: separate``: a group visit that is not the ticket's first becomes a
    visit to ``<group> again``.  The engine draws a visit's time from its party, priority and outcome only,
    and routes on the current party; in the ServiceNow log a first visit that resolves takes a median
    0.2 h, a later one 21 h (Group 70).  Two parties per team keep that difference (each with ample staff:
    their utilisations are shown apart)."""
    v = visits.copy()
    later = (v.groupby("ticket").cumcount() > 0) & (v["kind"] == "group")
    v.loc[later, "party"] = v.loc[later, "party"] + AGAIN
    return v


def collapse(visits: pd.DataFrame, max_groups: int = 10, min_share: float = 0.01, min_supplier: int = 20) -> pd.DataFrame:
    """Keep the ``max_groups`` busiest groups (each with >= ``min_share`` of group visits); the rest become
    ``other groups``.  Suppliers with fewer than ``min_supplier`` visits become one ``vendor``.  Consecutive
    visits to the same (collapsed) party are merged (only those: a ticket going back and forth, A -> B -> A,
    keeps its three visits; two rare groups in a row become one visit to ``other groups``)."""
    v = visits.copy()
    for col in ("wait_hours", "office_hours"):
        if col not in v:
            v[col] = 0.0 if col == "wait_hours" else v["hours"]
    groups = v.loc[v["kind"] == "group", "party"].value_counts()
    keep = set(groups[groups >= min_share * groups.sum()].index[:max_groups])
    sup = v.loc[v["kind"] == "supplier", "party"].value_counts()
    keep_sup = set(sup[sup >= min_supplier].index)
    v["party"] = np.where(v["kind"] == "group", v["party"].where(v["party"].isin(keep), OTHER),
                          v["party"].where(v["party"].isin(keep_sup), "vendor"))
    v["party"] = v["party"].str.replace(":", "", regex=False)
    run = (v["party"] != v.groupby("ticket")["party"].shift()).cumsum()
    merged = v.groupby(run, sort=False).agg(ticket=("ticket", "first"), party=("party", "first"), kind=("kind", "first"),
                                            start=("start", "min"), end=("end", "max"), hours=("hours", "sum"),
                                            wait_hours=("wait_hours", "sum"), office_hours=("office_hours", "sum"),
                                            last=("last", "max"))
    merged.loc[merged["end"].isna(), ["hours", "wait_hours", "office_hours"]] = np.nan
    merged["step"] = merged.groupby("ticket").cumcount()
    return merged.reset_index(drop=True)


def transitions(visits: pd.DataFrame) -> pd.DataFrame:
    """Counts from -> to over consecutive visits; ``start`` -> first party; last party -> ``resolved``."""
    v = visits.sort_values(["ticket", "step"])
    nxt = v.groupby("ticket")["party"].shift(-1).fillna("resolved")
    prev = v.groupby("ticket")["party"].shift(1).fillna("start")
    pairs = pd.concat([pd.DataFrame({"from": prev, "to": v["party"]})[prev == "start"],
                       pd.DataFrame({"from": v["party"], "to": nxt})])
    return pairs.value_counts().rename("count").reset_index()


def probabilities(counts: dict[str, int], digits: int = 4) -> dict[str, float]:
    """Counts -> probabilities rounded to ``digits`` that sum to exactly 1 (largest absorbs the rounding)."""
    total = sum(counts.values())
    p = {k: round(c / total, digits) for k, c in sorted(counts.items(), key=lambda kv: -kv[1]) if round(c / total, digits) > 0}
    if not p:
        k = max(counts, key=counts.get)
        return {k: 1.0}
    big = next(iter(p))
    p[big] = round(1.0 - sum(v for k, v in p.items() if k != big), digits)
    return p


def ping_pong_share(visits: pd.DataFrame) -> float:
    """Share of tickets that go back to a party they left one visit before (A -> B -> A)."""
    v = visits.sort_values(["ticket", "step"])
    back = v.groupby("ticket")["party"].shift(2).eq(v["party"]) & v.groupby("ticket")["party"].shift(1).ne(v["party"])
    n = v["ticket"].nunique()
    return float(v.loc[back.to_numpy(), "ticket"].nunique() / n) if n else 0.0


def lumped(visits: pd.DataFrame, collapsed: pd.DataFrame) -> list[str]:
    """The groups that became ``other groups``."""
    kept = set(collapsed["party"])
    groups = visits.loc[visits["kind"] == "group", "party"].unique()
    return sorted(str(g) for g in groups if str(g).replace(":", "") not in kept)
