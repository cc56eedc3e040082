"""Shared helpers of the store tests: canonical frames built by hand, results shaped like
desktop.ingest's ImportResult, and workspace file inspection."""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from desktop.domain import tables
from desktop.domain.results import ImportIssue, ImportReport


@dataclass
class Result:  # the shape of desktop.ingest.ImportResult
    kind: str
    frame: pd.DataFrame
    report: ImportReport


def usage_frame(n: int, *, file: str = "usage.csv", start: str = "2026-01-01", days: int = 30,
                vendor: str = "OpenAI", seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "date": pd.Timestamp(start) + pd.to_timedelta(np.arange(n) % days, unit="D"),
        "vendor": vendor,
        "cost": rng.integers(0, 50_000_000, n),
        "model": rng.choice(np.array(["gpt-4o", "gpt-4o-mini", None], dtype=object), n),
        "quantity": rng.random(n) * 1000,
        "team": rng.choice(np.array(["search", "support"], dtype=object), n),
        "commit_eligible": rng.random(n) > 0.1,
        "_file": file,
        "_row": np.arange(2, n + 2),
    })
    return tables.conform(df, "usage")


def result_for(kind: str, frame: pd.DataFrame, file: str, *, rejected: int = 0) -> Result:
    errors = tuple(ImportIssue(row=2 + i, column="cost", message="not an amount", value="x")
                   for i in range(rejected))
    return Result(kind, frame, ImportReport(file, kind, "canonical-csv", len(frame) + rejected,
                                            len(frame), rejected, errors))


def store(ws, kind: str, frame: pd.DataFrame, file: str, *, replace: bool = False, tag: str = ""):
    """Store a hand-made batch as if ``file`` had been read (content hash of the frame)."""
    digest = hashlib.sha256(pd.util.hash_pandas_object(frame).values.tobytes()
                            + (file + tag).encode()).hexdigest()
    return ws.store_result(result_for(kind, frame, file), Path(file), content_hash=digest,
                           file_size=len(frame), replace=replace)


def file_digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def raw_query(path: Path, sql: str):
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()
