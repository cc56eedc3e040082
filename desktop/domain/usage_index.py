"""The usage index: one per prepared usage frame, shared by every computing module and every
selector of rows.

An analysis reads usage in two ways: figures (sums over rows, usually per day) and the rows
behind a figure (explain, chart clicks, drill-downs, the brief, the JSON). Both go through this
index so that they can never disagree about which rows belong to a line:

* ``match_key(column, value)`` is THE rule for comparing a dimension value with a row's value
  (docs/domain.md "Matching dimension values"): vendors by their alias key (``normalize_vendor``
  then ``vendor_key``: "Azure OpenAI Service" and "azure openai" are one vendor), the contract a
  row draws down (``_contract``) exactly, every other text column trimmed and casefolded
  ("Mixed", " mixed" are one team).
* ``mask(column, value)`` / ``dated(start, end)`` build boolean row masks from integer codes
  computed once per column; ``positions(mask)`` turns a mask into sorted row positions of
  ``frame`` (the prepared usage: reporting currency, column ``_contract``).
* ``daily_by(column)`` and ``daily(mask)`` give the exact Daily series figures are read from.
* ``memo(key, build)`` keeps any other usage-derived structure (a module's lookup tables) for as
  long as the prepared usage is the same, which is what makes a recompute after an edit cheap:
  the analysis cache (desktop/domain/analysis.py) reuses the index while usage, FX rates and the
  contract assignment are unchanged.

The index never changes the frame; positions stay valid for the life of the analysis.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from desktop.domain.daily import Daily, daily_sums_and_counts
from desktop.domain.money import money_sum
from desktop.domain.tables import normalize_vendor, text_codes, vendor_key

_EPOCH = np.datetime64("1970-01-01", "D")


def match_key(column: str, value: Any) -> str:
    """How a value of ``column`` is compared (see the module docstring); '' for missing."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    if column == "vendor":
        return vendor_key(normalize_vendor(value) or "")
    if column == "_contract":
        return str(value)
    return str(value).strip().casefold()


def match_keys(column: str, s: pd.Series) -> np.ndarray:
    """``match_key(column, v)`` of every value of ``s`` (computed once per distinct value), as an
    object array aligned with ``s``; '' for missing."""
    codes, uniques = text_codes(s)
    keys = np.array([match_key(column, u) for u in uniques] + [""], dtype=object)
    return keys[codes]


def ai_rows(frame: pd.DataFrame) -> np.ndarray:
    """Rows that count as AI spend: column ``_ai`` of the prepared usage (set by
    desktop/domain/analysis.prepare_usage from ai_services.ai_mask under the workspace's rule);
    every row when the frame has no such column."""
    if "_ai" not in frame.columns:
        return np.ones(len(frame), dtype=bool)
    return frame["_ai"].fillna(True).to_numpy(dtype=bool)


def commit_mask(frame: pd.DataFrame) -> np.ndarray:
    """Rows that may draw down a commitment: commit_eligible and AI spend. The one rule the
    contract assignment (contracts.assign_contracts) and ``UsageIndex.eligible`` share."""
    if "commit_eligible" not in frame.columns:
        return ai_rows(frame)
    return frame["commit_eligible"].fillna(False).to_numpy(dtype=bool) & ai_rows(frame)


def day_number(d: date | pd.Timestamp | np.datetime64) -> int:
    """Days since 1970-01-01 (the index's day axis)."""
    return int((np.datetime64(pd.Timestamp(d).date(), "D") - _EPOCH).astype(np.int64))


class UsageIndex:
    def __init__(self, usage: pd.DataFrame):
        self.frame = usage
        self.size = len(usage)
        if self.size:
            # days since 1970 fit int32 until the year 5.8 million (4 bytes a row, not 8)
            self.day = usage["date"].to_numpy(dtype="datetime64[D]").astype(np.int32)
            self.cost = usage["cost"].to_numpy(dtype=np.int64)
        else:
            self.day = np.zeros(0, dtype=np.int32)
            self.cost = np.zeros(0, dtype=np.int64)
        self._codes: dict[str, tuple[np.ndarray, dict[str, int], list[str]]] = {}
        self._labels: dict[str, list[str]] = {}
        self._memo: dict[Hashable, Any] = {}
        self._lock = threading.RLock()

    # --- codes and masks -------------------------------------------------------------------------
    def codes(self, column: str) -> tuple[np.ndarray, dict[str, int], list[str]]:
        """(code per row, key -> code, key by code) of ``column``'s match keys; -1 for missing or
        blank values and for a column the frame does not have. Codes are int32 (4 bytes a row):
        widen them (``astype(np.int64)``) before arithmetic that can pass 2**31."""
        with self._lock:
            got = self._codes.get(column)
            if got is None:
                got = self._build_codes(column)
                self._codes[column] = got
            return got

    def _build_codes(self, column: str) -> tuple[np.ndarray, dict[str, int], list[str]]:
        if column not in self.frame.columns or not self.size:
            return np.full(self.size, -1, dtype=np.int32), {}, []
        raw, uniques = text_codes(self.frame[column])  # the column's own codes when dictionary-encoded
        index: dict[str, int] = {}
        labels: list[str] = []
        remap = np.full(len(uniques) + 1, -1, dtype=np.int32)
        for i, u in enumerate(uniques):
            k = match_key(column, u)
            if k:
                remap[i] = index.setdefault(k, len(index))
                if remap[i] == len(labels):
                    labels.append(" ".join(str(u).split()))
        self._labels[column] = labels
        return remap[raw], index, list(index)

    def label(self, column: str, key: str) -> str:
        """How a match key of ``column`` is shown: the first spelling met in the rows (blanks
        collapsed), e.g. "Mixed" for the key "mixed" when "Mixed" came first."""
        _, index, _ = self.codes(column)
        return self._labels.get(column, [])[index[key]] if key in index else key

    def eligible(self) -> np.ndarray:
        """Rows that may draw down a commitment (``commit_mask``: commit-eligible AI spend)."""
        return self.memo("eligible", lambda: commit_mask(self.frame))

    def ai(self) -> np.ndarray:
        """Rows that count as AI spend (``ai_rows``): what budgets, chargeback and anomalies
        select from. Invoices read every row of a vendor-period (billing is billing)."""
        return self.memo("ai", lambda: ai_rows(self.frame))

    def ai_daily_by(self, column: str) -> dict[str, Daily]:
        """``daily_by`` over the AI-spend rows only."""
        def build() -> dict[str, Daily]:
            codes, _, keys = self.codes(column)
            codes = np.where(self.ai(), codes, -1)
            sums, _ = daily_sums_and_counts(codes, self.day.astype("datetime64[D]"), self.cost)
            return {keys[c]: d for c, d in sums.items()}
        return self.memo(("ai_daily_by", column), build)

    def key_code(self, column: str, value: Any) -> int:
        """The code of ``value``'s match key in ``column`` (-2 when no row has it)."""
        k = match_key(column, value)
        return self.codes(column)[1].get(k, -2) if k else -2

    def mask(self, column: str, value: Any) -> np.ndarray:
        """Rows whose ``column`` matches ``value`` (by match_key)."""
        code = self.key_code(column, value)
        if code < 0:
            return np.zeros(self.size, dtype=bool)
        return self.codes(column)[0] == code

    def dated(self, start: date | None, end: date | None) -> np.ndarray:
        """Rows dated start..end inclusive (either bound may be None: open)."""
        m = np.ones(self.size, dtype=bool)
        if start is not None:
            m &= self.day >= day_number(start)
        if end is not None:
            m &= self.day <= day_number(end)
        return m

    @staticmethod
    def positions(mask: np.ndarray) -> np.ndarray:
        return np.flatnonzero(mask).astype(np.int64)

    def micros(self, positions: np.ndarray) -> int:
        """Exact sum of the cost (micros) of the rows at ``positions``."""
        return money_sum(self.cost[positions]) if len(positions) else 0

    # --- daily series -----------------------------------------------------------------------------
    def daily(self, mask: np.ndarray) -> Daily:
        """The Daily series of the rows in ``mask``."""
        if not mask.any():
            return Daily.empty()
        sums, _ = daily_sums_and_counts(np.where(mask, 0, -1), self.day.astype("datetime64[D]"), self.cost)
        return sums.get(0, Daily.empty())

    def daily_by(self, column: str) -> dict[str, Daily]:
        """Daily series per match key of ``column`` (kept for the life of the index)."""
        return self.memo(("daily_by", column), lambda: self._daily_by(column, counts=False))

    def rows_by(self, column: str) -> dict[str, Daily]:
        """Daily row counts per match key of ``column``."""
        return self.memo(("rows_by", column), lambda: self._daily_by(column, counts=True))

    def _daily_by(self, column: str, counts: bool) -> dict[str, Daily]:
        codes, _, keys = self.codes(column)
        sums, sizes = daily_sums_and_counts(codes, self.day.astype("datetime64[D]"), self.cost)
        got = sizes if counts else sums
        return {keys[c]: d for c, d in got.items()}

    def memo(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """``build()`` once per key for the life of this index (usage-derived structures only)."""
        with self._lock:
            if key in self._memo:
                return self._memo[key]
        value = build()
        with self._lock:
            return self._memo.setdefault(key, value)


def as_index(usage: pd.DataFrame | UsageIndex) -> UsageIndex:
    """The index itself, or a new one over a prepared usage frame (tests and one-off callers)."""
    return usage if isinstance(usage, UsageIndex) else UsageIndex(usage)


_COLUMN_HASHES: dict[int, tuple[weakref.ref, dict[str, tuple[int, int]]]] = {}
_HASH_LOCK = threading.Lock()


def _column_hashes(frame: pd.DataFrame) -> dict[str, tuple[int, int]]:
    """Per column of ``frame`` a content hash, computed once per column while the frame object
    lives (frames are never modified in place once read: the convention of every module)."""
    fid = id(frame)
    with _HASH_LOCK:
        got = _COLUMN_HASHES.get(fid)
        if got is not None and got[0]() is frame:
            return got[1]

    def forget(ref: weakref.ref, fid: int = fid) -> None:
        with _HASH_LOCK:
            entry = _COLUMN_HASHES.get(fid)
            if entry is not None and entry[0] is ref:
                del _COLUMN_HASHES[fid]

    hashes: dict[str, tuple[int, int]] = {}
    with _HASH_LOCK:
        _COLUMN_HASHES[fid] = (weakref.ref(frame, forget), hashes)
    return hashes


def frame_key(frame: pd.DataFrame | None, columns: tuple[str, ...] | None = None) -> Hashable:
    """A content key of a small table (commitments, budgets, invoices, org map, FX rates, rate
    card), or of some of its columns: equal for equal contents. Not for usage, whose key comes
    from where it was read. Column hashes are remembered per frame object."""
    if frame is None:
        return None
    cols = tuple(c for c in (columns if columns is not None else frame.columns) if c in frame.columns)
    hashes = _column_hashes(frame)
    out = []
    for c in cols:
        h = hashes.get(c)
        if h is None:
            v = pd.util.hash_pandas_object(frame[c], index=False).to_numpy()
            h = (int(v.sum(dtype=np.uint64)), int((v * np.arange(1, len(v) + 1, dtype=np.uint64)).sum(dtype=np.uint64)))
            hashes[c] = h
        out.append((c, h))
    return (len(frame), tuple(out))
