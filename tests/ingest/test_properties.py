"""Property tests: whatever the spelling, amounts arrive exact to the micro and every row is
accounted for."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.domain.money import to_micros
from desktop.ingest import parse, read_file

amounts = st.decimals(min_value=Decimal("-999999999.999999"), max_value=Decimal("999999999.999999"),
                      places=6, allow_nan=False, allow_infinity=False)


def us(d: Decimal) -> str:
    s = f"{abs(d):,.6f}".rstrip("0").rstrip(".")
    return f"-${s}" if d < 0 else f"${s}"


def de(d: Decimal) -> str:
    s = f"{abs(d):,.6f}".rstrip("0").rstrip(".").replace(",", "X").replace(".", ",").replace("X", ".")
    return f"({s} €)" if d < 0 else f"{s} €"


@settings(max_examples=60, deadline=None)
@given(st.lists(amounts, min_size=1, max_size=40))
def test_us_spellings_exact(values):
    col = pd.Series([us(v) for v in values] + ["0.5"], dtype=object)  # "0.5" settles '.'
    dec, _, _ = parse.decide_decimal([col])
    assert dec == "."
    m = parse.parse_money(col, dec)
    assert m.ok.all()
    assert m.micros[:-1].tolist() == [to_micros(v) for v in values]


@settings(max_examples=60, deadline=None)
@given(st.lists(amounts, min_size=1, max_size=40))
def test_german_spellings_exact(values):
    col = pd.Series([de(v) for v in values] + ["0,5"], dtype=object)
    dec, _, _ = parse.decide_decimal([col])
    assert dec == ","
    m = parse.parse_money(col, dec)
    assert m.ok.all()
    assert m.micros[:-1].tolist() == [to_micros(v) for v in values]
    assert set(m.currency[:-1]) == {"EUR"}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2040, 12, 31)),
                          amounts, st.booleans()), min_size=1, max_size=30))
def test_file_accounting_and_sum(tmp_path_factory, rows):
    d = tmp_path_factory.mktemp("prop")
    lines = ["date,vendor,cost"]
    good = []
    for i, (day, amount, broken) in enumerate(rows):
        if broken and i % 3 == 0:
            lines.append(f"{day.isoformat()},OpenAI,not-a-number")
        else:
            lines.append(f'{day.strftime("%d.%m.%Y")},OpenAI,"{us(amount)}"')
            good.append((day, amount))
    p = d / "u.csv"
    p.write_text("\n".join(lines) + "\n")
    r = read_file(p, "usage")
    rep = r.report
    assert rep.rows_read == len(rows) == rep.rows_imported + rep.rows_rejected + rep.totals_excluded
    assert rep.rows_imported == len(good)
    assert int(r.frame["cost"].sum()) == sum(to_micros(a) for _, a in good)
    assert r.frame["date"].tolist() == [pd.Timestamp(day) for day, _ in good]
