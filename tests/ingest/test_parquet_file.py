"""Parquet files for --usage and the import wizard: the CSV's mapping, validation and report;
sizes checked from the metadata before any row is read."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from desktop.ingest import read_file, source_header
from desktop.ingest.errors import UnreadableFile
from desktop.ingest.safety import DEFAULT_LIMITS, UnsafeFile


def _usage_csv(tmp_path):
    text = ("date,vendor,cost,currency,model,team,quantity\n"
            "2026-01-02,OpenAI,0.000004,USD,gpt-4o,search,10\n"
            "2026-01-02,openai ,-1.25,USD,gpt-4o,Search,\n"
            "2026-01-03,Anthropic,12.5,USD,claude,support,3\n"
            "2026-01-03,Anthropic,not money,USD,claude,support,3\n")
    p = tmp_path / "u.csv"
    p.write_text(text)
    return p


def _as_parquet(tmp_path, csv, **types):
    df = pd.read_csv(csv, dtype=str, keep_default_na=False)
    table = pa.Table.from_pandas(df, preserve_index=False)
    for name, t in types.items():
        i = table.column_names.index(name)
        table = table.set_column(i, name, pa.array([None if v in ("", "not money") else v
                                                    for v in df[name]]).cast(t))
    p = tmp_path / "u.parquet"
    pq.write_table(table, p, row_group_size=2)
    return p


def test_parquet_gives_the_csv_rows_mapping_and_rejects(tmp_path):
    csv = _usage_csv(tmp_path)
    a = read_file(csv, "usage")
    b = read_file(_as_parquet(tmp_path, csv), "usage")
    assert b.report.format == "canonical-parquet"
    assert (b.report.rows_read, b.report.rows_imported, b.report.rows_rejected) == (4, 3, 1)
    assert [(e.row, e.column) for e in b.report.errors] == [(4, "cost")]  # data row 4 (no header line)
    pd.testing.assert_frame_equal(a.frame.drop(columns=["_file", "_row"]), b.frame.drop(columns=["_file", "_row"]))
    assert list(b.frame["cost"]) == [4, -1_250_000, 12_500_000]  # sub-cent micros, a credit


def test_typed_parquet_columns_read_like_their_text(tmp_path):
    csv = _usage_csv(tmp_path)
    lines = csv.read_text().splitlines()
    csv.write_text("\n".join(lines[:4]) + "\n")  # the three good rows
    p = _as_parquet(tmp_path, csv, date=pa.date32(), quantity=pa.float64())
    got = read_file(p, "usage").frame
    assert list(got["date"].dt.strftime("%Y-%m-%d")) == ["2026-01-02", "2026-01-02", "2026-01-03"]
    assert got["quantity"].tolist()[0] == 10.0 and pd.isna(got["quantity"].tolist()[1])


def test_header_for_the_mapping_editor(tmp_path):
    p = _as_parquet(tmp_path, _usage_csv(tmp_path))
    h = source_header(p)
    assert h.columns == ["date", "vendor", "cost", "currency", "model", "team", "quantity"]


def test_declared_rows_over_the_limit_are_refused_before_reading(tmp_path, monkeypatch):
    p = _as_parquet(tmp_path, _usage_csv(tmp_path))
    read = []
    monkeypatch.setattr(pq.ParquetFile, "read_row_group", lambda *a, **k: read.append(1))
    with pytest.raises(UnsafeFile, match="declares 4 rows"):
        read_file(p, "usage", limits=dataclasses.replace(DEFAULT_LIMITS, max_rows=3))
    assert read == []


def test_uncompressed_size_over_the_limit_is_refused(tmp_path):
    p = _as_parquet(tmp_path, _usage_csv(tmp_path))
    with pytest.raises(UnsafeFile, match="uncompressed"):
        read_file(p, "usage", limits=dataclasses.replace(DEFAULT_LIMITS, max_uncompressed_bytes=10))


def test_a_footer_claiming_more_than_the_file_is_refused(tmp_path):
    p = _as_parquet(tmp_path, _usage_csv(tmp_path))
    data = bytearray(p.read_bytes())
    data[-8:-4] = (len(data) * 4).to_bytes(4, "little")
    p.write_bytes(bytes(data))
    with pytest.raises(UnreadableFile, match="footer claims"):
        read_file(p, "usage")
    p.write_bytes(b"PAR1" + b"\0" * 20)
    with pytest.raises(UnreadableFile, match="no footer marker"):
        read_file(p, "usage")
