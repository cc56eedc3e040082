"""Shared helpers for the end-to-end tests: run the CLI in-process, compute expectations
independently (csv module + Decimal, never desktop code)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from desktop.cli import main

CENT = Decimal("0.01")


def cents(x: Decimal | str | int) -> Decimal:
    return Decimal(x).quantize(CENT, rounding=ROUND_HALF_UP)


def run(capsys, *argv) -> tuple[int, str, str]:
    """desktop.cli.main in-process; never a traceback on stderr."""
    status = main([str(a) for a in argv])
    cap = capsys.readouterr()
    assert "Traceback" not in cap.err, cap.err
    return status, cap.out, cap.err


def analyze(capsys, *argv) -> dict:
    status, out, err = run(capsys, "analyze", *argv, "--format", "json")
    assert status == 0, err
    return json.loads(out)


def check_accounting(d: dict) -> None:
    """rows_read = imported + rejected + totals excluded, for every import."""
    for rep in d["imports"]:
        excluded = rep.get("totals_excluded", 0) or 0
        assert rep["rows_read"] == rep["rows_imported"] + rep["rows_rejected"] + excluded, rep
        assert len(rep["errors"]) >= min(rep["rows_rejected"], 1), rep


def write(path: Path, text: str, encoding: str = "utf-8", newline: str = "\n") -> Path:
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    return path


def read_rows(path: Path, encoding: str = "utf-8-sig", delimiter: str = ",") -> list[dict]:
    with open(path, newline="", encoding=encoding) as fh:
        return list(csv.DictReader(fh, delimiter=delimiter))


def budgets_for(path: Path, totals, dimension: str = "vendor") -> Path:
    """A budgets file with one line per (value, month) of `dimension`: the analysis' `actual` of
    each line is then the file's total spend of that value in that month, which the test knows."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["allocation", "month", "budget", "dimension", "value", "owner"])
    for i, (value, month) in enumerate(sorted(totals)):
        w.writerow([f"Line {i:03d} {value}", month, "1000000.00", dimension, value, "QA"])
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def actuals(d: dict) -> dict[tuple[str, str], Decimal]:
    """(value, month) -> actual, read back from the budget lines written by budgets_for."""
    out = {}
    for b in d["budgets"]:
        value = b["allocation"].split(" ", 2)[2]
        out[(value, b["month"])] = Decimal(b["actual"])
    return out


def group(rows, key, amount) -> dict[tuple[str, str], Decimal]:
    tot: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for r in rows:
        k = key(r)
        if k is None:
            continue
        tot[k] += amount(r)
    return {k: cents(v) for k, v in tot.items()}


FILE_LINE = re.compile(
    r"^- (?P<file>.+?) \((?P<kind>\w+), (?P<format>[^)]+)\): (?P<read>\d+) rows read, "
    r"(?P<imported>\d+) imported, (?P<rejected>\d+) rejected(?:, (?P<totals>\d+) totals rows excluded)?")


def text_accounting(capsys, *argv) -> dict[str, dict[str, int]]:
    """The text report's "Files read" block: file -> counts (it shows totals rows excluded,
    which the JSON does not carry)."""
    status, out, err = run(capsys, "analyze", *argv, "--format", "text")
    assert status == 0, err
    found = {}
    for line in out.splitlines():
        m = FILE_LINE.match(line)
        if m:
            found[m["file"]] = {k: int(m[k] or 0) for k in ("read", "imported", "rejected", "totals")}
    for name, c in found.items():
        assert c["read"] == c["imported"] + c["rejected"] + c["totals"], (name, c)
    return found
