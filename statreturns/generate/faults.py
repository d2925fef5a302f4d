"""Data-quality faults of the kinds caseworkers really make, injected into a clean generated record.

Each faulted child gets exactly one fault, so ``fault_rate`` is the share of children with a fault and
tests can check every other child's record is still consistent. The list of faults is returned (and
written beside the extracts) so tests and benchmarks know what the validators should find.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

KINDS = ("missing_upn", "bad_check_letter", "end_before_start", "overlapping_episodes", "unknown_code")


def inject(tables: dict[str, pd.DataFrame], rate: float, seed: int) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Return faulty copies of ``tables`` and a frame of (child_id, kind, table)."""
    rng = np.random.default_rng(seed + 1)
    out = {name: frame.copy() for name, frame in tables.items()}
    children = out["children"]
    n = len(children)
    faulted = rng.random(n) < rate
    ids = children["child_id"].to_numpy()
    # Which fault each child can take depends on what their record holds.
    has_upn = children["UPN"].notna().to_numpy()
    closed = out["cin_episodes"].loc[out["cin_episodes"]["CINclosureDate"].notna()
                                     & ~out["cin_episodes"]["ReferralNFA"].astype(bool), "child_id"]
    multi = out["la_episodes"]["child_id"].value_counts()
    able = {
        "missing_upn": has_upn,
        "bad_check_letter": has_upn,
        # pandas' hashed isin, not np.isin: numpy compares object arrays pairwise.
        "end_before_start": children["child_id"].isin(closed.unique()).to_numpy(),
        "overlapping_episodes": children["child_id"].isin(multi.index[multi.to_numpy() > 1]).to_numpy(),
        "unknown_code": np.ones(n, dtype=bool),
    }
    choice = rng.random((n, len(KINDS)))
    for k, kind in enumerate(KINDS):
        choice[~able[kind], k] = -1
    kind_idx = choice.argmax(axis=1)
    kinds = np.array(KINDS, dtype=object)[kind_idx]
    chosen = pd.DataFrame({"child_id": ids[faulted], "kind": kinds[faulted]})
    for kind, group in chosen.groupby("kind"):
        _APPLY[kind](out, set(group["child_id"]), rng)
    chosen["table"] = chosen["kind"].map(_TABLE)
    return out, chosen.sort_values("child_id").reset_index(drop=True)


def _missing_upn(t: dict[str, pd.DataFrame], ids: set[str], rng: np.random.Generator) -> None:
    rows = t["children"]["child_id"].isin(ids)
    t["children"].loc[rows, ["UPN", "UPNunknown"]] = None


def _bad_check_letter(t: dict[str, pd.DataFrame], ids: set[str], rng: np.random.Generator) -> None:
    rows = t["children"]["child_id"].isin(ids)
    upn = t["children"].loc[rows, "UPN"]
    # Shift the check letter to the next one in the alphabet: a typo the checksum catches.
    wrong = np.where(upn.str[0] == "A", "B", "A")
    t["children"].loc[rows, "UPN"] = wrong + upn.str[1:]


def _end_before_start(t: dict[str, pd.DataFrame], ids: set[str], rng: np.random.Generator) -> None:
    ep = t["cin_episodes"]
    rows = ep["child_id"].isin(ids) & ep["CINclosureDate"].notna() & ~ep["ReferralNFA"].astype(bool)
    first = rows & ~ep.loc[rows, "child_id"].duplicated().reindex(ep.index, fill_value=True)
    days = pd.to_timedelta(rng.integers(1, 40, int(first.sum())), unit="D")
    ep.loc[first, "CINclosureDate"] = ep.loc[first, "CINreferralDate"] - days


def _overlapping(t: dict[str, pd.DataFrame], ids: set[str], rng: np.random.Generator) -> None:
    ep = t["la_episodes"]
    rows = ep["child_id"].isin(ids) & ep["child_id"].duplicated()
    second = rows & ~ep.loc[rows, "child_id"].duplicated().reindex(ep.index, fill_value=True)
    days = pd.to_timedelta(rng.integers(3, 30, int(second.sum())), unit="D")
    ep.loc[second, "DECOM"] = ep.loc[second, "DECOM"] - days


def _unknown_code(t: dict[str, pd.DataFrame], ids: set[str], rng: np.random.Generator) -> None:
    rows = t["children"]["child_id"].isin(ids)
    t["children"].loc[rows, "Ethnicity"] = "WXYZ"


_APPLY = {"missing_upn": _missing_upn, "bad_check_letter": _bad_check_letter, "end_before_start": _end_before_start,
          "overlapping_episodes": _overlapping, "unknown_code": _unknown_code}
_TABLE = {"missing_upn": "children", "bad_check_letter": "children", "end_before_start": "cin_episodes",
          "overlapping_episodes": "la_episodes", "unknown_code": "children"}
