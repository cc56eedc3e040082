"""JSON pages, valid and hostile: wall time and peak RSS of ``read_file``, each in a fresh process.

    python bench/bench_json.py

Cases (files written to bench/data/ once):

* ``costs_52mb``: a valid OpenAI Costs API page of ~52 MB (1,150 daily buckets x 200 results);
* ``amount_50mb_string``: a page whose one amount value is a 50 MB string;
* ``amount_50mb_number``: the same with a 50-million-digit number.

One JSON line per case: seconds, peak RSS in MB (the interpreter with the importer loaded is
about 105 MB of it), rows imported and rejected. The issue's target: each hostile case refused
or bounded in under 2 s and 300 MB; the valid page far below 16x its size.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data"

_CHILD = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[2])
from desktop.ingest import UnreadableFile, read_file
t = time.perf_counter()
try:
    r = read_file(sys.argv[1])
    out = {"imported": r.report.rows_imported, "rejected": r.report.rows_rejected}
except UnreadableFile as e:
    out = {"refused": str(e)[:200]}
out["seconds"] = round(time.perf_counter() - t, 2)
# VmHWM: this process's own peak (ru_maxrss would carry the parent's peak across fork + exec)
hwm = [ln for ln in open("/proc/self/status") if ln.startswith("VmHWM:")]
out["peak_rss_mb"] = round(int(hwm[0].split()[1]) / 1024) if hwm else round(
    resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
print(json.dumps(out))
"""


def _result(value, i: int) -> dict:
    return {"object": "organization.costs.result", "amount": {"value": value, "currency": "usd"},
            "line_item": f"gpt-4o-2024-08-06, {'input' if i % 2 else 'output'}",
            "project_id": f"proj_{i % 37:06d}", "project_name": f"Project {i % 37}",
            "api_key_id": None, "quantity": None}


def make_files() -> dict[str, Path]:
    DATA.mkdir(parents=True, exist_ok=True)
    paths = {n: DATA / f"{n}.json" for n in ("costs_52mb", "amount_50mb_string", "amount_50mb_number")}
    if all(p.exists() for p in paths.values()):
        return paths
    rng = random.Random(1)
    day = 1730419200
    buckets = []
    for _ in range(1150):
        buckets.append({"object": "bucket", "start_time": day, "end_time": day + 86400,
                        "results": [_result(round(rng.random() * 10, 12), i) for i in range(200)]})
        day += 86400
    paths["costs_52mb"].write_text(json.dumps({"object": "page", "data": buckets, "has_more": False}))
    page = {"object": "page", "data": [{"object": "bucket", "start_time": day, "end_time": day + 86400,
                                        "results": [_result("1" * 50_000_000, 0), _result(1.5, 1)]}]}
    paths["amount_50mb_string"].write_text(json.dumps(page))
    page["data"][0]["results"][0]["amount"]["value"] = 0
    text = json.dumps(page).replace('"value": 0,', '"value": ' + "1" * 50_000_000 + ",", 1)
    paths["amount_50mb_number"].write_text(text)
    return paths


def run() -> list[dict]:
    out = []
    for name, path in make_files().items():
        res = subprocess.run([sys.executable, "-c", _CHILD, str(path), str(ROOT)], capture_output=True,
                             text=True, check=True)
        line = {"bench": "import_json", "case": name, "mb": round(path.stat().st_size / 1e6, 1),
                **json.loads(res.stdout.strip().splitlines()[-1])}
        print(json.dumps(line), flush=True)
        out.append(line)
    return out


if __name__ == "__main__":
    run()
