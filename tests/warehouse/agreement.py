"""Comparing the analysis of a file with the analysis of the same rows rolled up elsewhere."""

from __future__ import annotations

import json
from dataclasses import replace

from desktop.domain.analysis import build_analysis
from desktop.domain.inputs import Inputs
from desktop.domain.report import to_json
from desktop.ingest import load_inputs, read_file
from desktop.resources import demo_files

# what names the source (file name vs table URL) rather than a figure
SOURCE_KEYS = ("imports", "actions")


def reference_inputs(usage_path=None) -> Inputs:
    """The demo company's files, with ``usage_path`` as its usage when given."""
    files = {k: [v] for k, v in demo_files().items()}
    if usage_path is not None:
        files["usage"] = [usage_path]
    return load_inputs(files)


def with_usage(inputs: Inputs, result) -> Inputs:
    """``inputs`` with its usage replaced by an ImportResult's frame and report."""
    base = replace(inputs, usage=inputs.usage.iloc[:0], imports=tuple(r for r in inputs.imports if r.kind != "usage"))
    return base.add("usage", result.frame, result.report)


def figures(inputs: Inputs, as_of=None) -> dict:
    """The analysis JSON without the parts that name sources (import reports, action ids)."""
    data = json.loads(to_json(build_analysis(inputs, None, as_of)))
    return {k: v for k, v in data.items() if k not in SOURCE_KEYS}


def file_result(path):
    return read_file(path)
