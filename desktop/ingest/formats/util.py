"""Helpers shared by the vendor formats."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from desktop.ingest import parse


def lookup(columns: list[str]) -> dict[str, str]:
    """Exact-insensitive column lookup: casefolded, non-alnum removed -> column as written."""
    out: dict[str, str] = {}
    for c in columns:
        out.setdefault(re.sub(r"[^0-9a-z]", "", str(c).casefold()), c)
    return out


def key(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.casefold())


def per_unique(values: pd.Series, fn: Callable[[Any], Any], dtype=object) -> np.ndarray:
    """fn applied once per distinct value (NA -> fn(None))."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    res = np.empty(len(uniques) + 1, dtype=dtype)
    for i, u in enumerate(uniques):
        res[i] = fn(u)
    res[-1] = fn(None)
    return res[codes]  # code -1 picks the last slot


def loads(v) -> Any:
    """JSON text -> object; None for blanks and for text that is not JSON."""
    if v is None or parse.is_blank(v):
        return None
    if isinstance(v, (dict, list)):
        return v
    try:
        return json.loads(str(v))
    except ValueError:
        return None


# tag key (casefolded, punctuation removed) -> canonical usage column
DEFAULT_TAG_KEYS: dict[str, str] = {
    "team": "team", "teamname": "team", "squad": "team", "ownerteam": "team", "owningteam": "team",
    "department": "team", "dept": "team", "businessunit": "team", "abteilung": "team",
    "project": "project", "projectname": "project", "application": "project", "app": "project",
    "product": "project", "projekt": "project", "projet": "project", "proyecto": "project",
    "costcenter": "cost_center", "costcentre": "cost_center", "cc": "cost_center",
    "kostenstelle": "cost_center", "centredecout": "cost_center",
    "environment": "environment", "env": "environment", "stage": "environment",
    "umgebung": "environment",
    "workload": "workload", "usecase": "workload", "component": "workload",
}


def tag_columns(tags: pd.Series, extra: dict[str, str] | None = None,
                wanted=("team", "project", "cost_center", "environment", "workload")) -> dict[str, pd.Series]:
    """Tags JSON ({"team": "search", ...}) -> canonical string columns via the tag-key mapping.

    ``extra``: profile tag-key mapping (tag key as written -> canonical column); it wins over
    the defaults. When several tag keys map to one column the first in the mapping order wins.
    """
    mapping = dict(DEFAULT_TAG_KEYS)
    if extra:
        for k, v in extra.items():
            mapping[key(k)] = v
    order = {k: i for i, k in enumerate(mapping)}
    if extra:
        for i, k in enumerate(extra):
            order[key(k)] = -1000 + i

    def one(v):
        obj = loads(v)
        if not isinstance(obj, dict):
            return None
        out: dict[str, tuple[int, str]] = {}
        for k, val in obj.items():
            kk = key(str(k))
            col = mapping.get(kk)
            if col is None or col not in wanted or val is None or str(val).strip() == "":
                continue
            rank = order.get(kk, 0)
            if col not in out or rank < out[col][0]:
                out[col] = (rank, str(val).strip())
        return {c: v for c, (_, v) in out.items()}

    parsed = per_unique(tags, one)
    cols: dict[str, pd.Series] = {}
    for c in wanted:
        vals = [d.get(c) if isinstance(d, dict) else None for d in parsed]
        s = pd.Series(vals, dtype=object)
        if s.notna().any():
            cols[c] = s
    return cols

