"""Usage text is dictionary-encoded once, where rows are read (desktop/domain/tables.py
DICTIONARY_TABLES), and stays so through concat, the store and the analysis."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from desktop.domain import tables
from desktop.domain.analysis import build_analysis, prepare_usage
from desktop.domain.report import to_json
from desktop.ingest.core import load_inputs
from desktop.resources import demo_files
from desktop.store import frames


def _usage(rows: list[tuple], file: str = "u.csv") -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["date", "vendor", "cost", "team", "currency"])
    df["date"] = pd.to_datetime(df["date"])
    df["_file"] = file
    return tables.conform(df, "usage")


def test_conform_encodes_usage_text_trimmed_with_defaults_and_vendor_aliases():
    u = _usage([("2026-01-01", " openai", 1, " Search ", None),
                ("2026-01-02", "OpenAI, L.L.C.", 2, "Search", "EUR"),
                ("2026-01-03", "Anthropic", 3, None, "USD")])
    for name, col in u.items():
        if tables.USAGE.names.count(name) and tables.USAGE.column(name).kind == "str" or name == "_file":
            assert isinstance(col.dtype, pd.CategoricalDtype), name
            assert col.cat.categories.dtype == pd.StringDtype()
    assert u["vendor"].tolist() == ["OpenAI", "OpenAI", "Anthropic"]
    assert u["team"].astype(object).where(u["team"].notna(), None).tolist() == ["Search", "Search", None]
    assert u["currency"].tolist() == ["USD", "EUR", "USD"]  # the column default fills a blank
    assert u["vendor"].cat.codes.dtype == np.int8  # one byte per row
    assert list(u["vendor"].cat.categories) == ["Anthropic", "OpenAI"]  # sorted: sorting rows by it is lexical
    # other tables keep pandas string columns
    c = tables.empty("commitments")
    assert c["vendor"].dtype == pd.StringDtype()


def test_text_codes_number_values_as_factorize_does():
    s = _usage([("2026-01-01", "b", 1, "zeta", None), ("2026-01-01", "b", 1, None, None),
                ("2026-01-01", "b", 1, "alpha", None), ("2026-01-01", "b", 1, "zeta", None)])["team"]
    codes, uniques = tables.text_codes(s)
    assert codes.tolist() == [0, -1, 1, 0]  # first appearance, not category order
    assert uniques.tolist() == ["zeta", "alpha"]
    plain = s.astype("string")
    pcodes, puniques = tables.text_codes(plain)
    assert pcodes.tolist() == codes.tolist() and list(puniques) == uniques.tolist()


def test_concat_keeps_one_dictionary_over_both_frames():
    a = _usage([("2026-01-01", "OpenAI", 1, "Search", None)], "a.csv")
    b = _usage([("2026-01-02", "Anthropic", 2, "Growth", None), ("2026-01-03", "OpenAI", 3, None, None)], "b.csv")
    both = tables.concat([a, b])
    assert isinstance(both["team"].dtype, pd.CategoricalDtype)
    assert list(both["team"].cat.categories) == ["Growth", "Search"]
    assert both["team"].astype(object).where(both["team"].notna(), None).tolist() == ["Search", "Growth", None]
    assert both["_file"].tolist() == ["a.csv", "b.csv", "b.csv"]
    assert both["cost"].tolist() == [1, 2, 3]
    # pandas' own concat would have spelled every row out as a string again
    assert not isinstance(pd.concat([a, b], ignore_index=True)["team"].dtype, pd.CategoricalDtype)


def test_store_round_trip_keeps_the_dictionary():
    u = _usage([("2026-01-01", "OpenAI", 1, "Search", None), ("2026-01-02", "Anthropic", 2, None, "EUR")] * 3)
    blobs = [b for _, b in frames.encode_chunks(u, chunk_rows=2)]  # several chunks
    back = frames.decode_chunks(blobs, frames.dtypes_json(u))
    pd.testing.assert_frame_equal(back, u, check_exact=True)
    assert back["team"].cat.categories.dtype == pd.StringDtype()


def test_put_and_fill_text_stay_encoded():
    s = _usage([("2026-01-01", "b", 1, "x", None), ("2026-01-01", "b", 1, None, None)])["team"]
    filled = tables.fill_text(s, "(none)")
    assert filled.tolist() == ["x", "(none)"] and isinstance(filled.dtype, pd.CategoricalDtype)
    put = tables.put_text(s, np.array([True, False]), "y")
    assert put.astype(object).where(put.notna(), None).tolist() == ["y", None]


def test_the_analysis_is_the_same_whether_usage_text_is_encoded_or_not():
    inputs = load_inputs(demo_files())
    assert isinstance(inputs.usage["team"].dtype, pd.CategoricalDtype)
    plain = inputs.usage.copy()
    for name in plain.columns:
        if isinstance(plain[name].dtype, pd.CategoricalDtype):
            plain[name] = plain[name].astype("string")
    encoded = build_analysis(inputs, renewal=[])
    unencoded = build_analysis(dataclasses.replace(inputs, usage=plain), renewal=[])
    assert to_json(encoded) == to_json(unencoded)
    prepared, _ = prepare_usage(inputs)
    assert isinstance(prepared["_contract"].dtype, pd.CategoricalDtype)
    assert prepared["_contract"].astype("string").tolist() == unencoded.usage["_contract"].astype("string").tolist()
