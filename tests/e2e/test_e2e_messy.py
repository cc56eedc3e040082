"""analyze on the files an analyst really gets: title rows above the header, totals rows,
"$1,234.56" / "1.234,56" / "(123.45)" amounts, day-first and month-first dates, cp1252 / utf-16 /
BOM encodings, ; tab | delimiters, xlsx with a title block and the 1904 date system.
Expected totals are the Decimal values the test wrote, per vendor (and team) and month."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
import pytest
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from .helpers import actuals, analyze, budgets_for, cents, check_accounting, run, text_accounting, write

# (day, vendor, amount, team) -- the truth; files render it in various local spellings
ROWS = [
    (date(2026, 2, 3), "OpenAI", Decimal("1234.56"), "Müller"),
    (date(2026, 2, 13), "OpenAI", Decimal("1234.56"), "Søren"),
    (date(2026, 2, 28), "Anthropic", Decimal("-12.50"), "Zoë"),
    (date(2026, 3, 1), "Anthropic", Decimal("-7.25"), "Zoë"),
    (date(2026, 3, 1), "OpenAI", Decimal("0.01"), "Müller"),
]


def expected(key):
    out: dict = {}
    for day, vendor, amount, team in ROWS:
        k = ({"vendor": vendor, "team": team}[key], day.strftime("%Y-%m"))
        out[k] = out.get(k, Decimal(0)) + amount
    return out


def eu_amount(x: Decimal, style: int) -> str:
    neg = x < 0
    whole, frac = f"{abs(x):.2f}".split(".")
    groups = f"{int(whole):,}".replace(",", "." if style == 0 else " ")
    text = f"{groups},{frac}"
    return (f"({text})" if style == 1 else f"-{text}") if neg else text


def us_amount(x: Decimal, style: int) -> str:
    text = f"{abs(x):,.2f}"
    if x < 0:
        return f"({text})" if style == 0 else f"-${text}"
    return [f"${text}", f"USD {text}", f"{text} USD"][style % 3]


def check(tmp_path, capsys, path, totals_rows: int):
    for dim in ("vendor", "team"):
        b = budgets_for(tmp_path / f"b_{dim}.csv", expected(dim), dimension=dim)
        d = analyze(capsys, "--usage", path, "--budgets", b)
        usage = d["imports"][0]
        assert usage["rows_rejected"] == 0, usage["errors"]
        assert usage["rows_imported"] == len(ROWS)
        assert usage["rows_read"] == len(ROWS) + totals_rows
        assert actuals(d) == expected(dim), dim
    counts = text_accounting(capsys, "--usage", path)
    assert counts[path.name]["totals"] == totals_rows


@pytest.mark.parametrize("encoding,delim,newline", [
    ("cp1252", ";", "\r\n"), ("utf-16", "\t", "\n"), ("utf-8-sig", "|", "\r\n"), ("utf-8", ";", "\n"),
])
def test_european_day_first_with_title_and_total(tmp_path, capsys, encoding, delim, newline):
    lines = ["Kostenbericht Februar/März 2026", "Erstellt von Finanzen", ""]
    lines.append(delim.join(["date", "vendor", "cost", "team"]))
    for i, (day, vendor, amount, team) in enumerate(ROWS):
        lines.append(delim.join([day.strftime("%d/%m/%Y"), vendor, eu_amount(amount, i % 2), team]))
    total = sum(r[2] for r in ROWS)
    lines.append(delim.join(["Summe", "", eu_amount(total, 0), ""]))
    path = write(tmp_path / f"kosten_{encoding}.csv", "\n".join(lines) + "\n", encoding, newline)
    check(tmp_path, capsys, path, totals_rows=1)


def test_us_dollar_spellings_month_first_subtotal_and_total(tmp_path, capsys):
    lines = ["ACME Corp - AI vendor spend", "exported 2026-03-02", "", "date,vendor,cost,team"]
    for i, (day, vendor, amount, team) in enumerate(ROWS):
        lines.append(f'{day.strftime("%m/%d/%Y")},{vendor},"{us_amount(amount, i)}",{team}')
    total = sum(r[2] for r in ROWS)
    lines.append(f',Subtotal,"{us_amount(total, 0)}",')
    lines.append(f'TOTAL,,"{us_amount(total, 0)}",')
    path = write(tmp_path / "spend_us.csv", "\n".join(lines) + "\n", "utf-8")
    check(tmp_path, capsys, path, totals_rows=2)


@pytest.mark.parametrize("epoch1904", [False, True])
def test_xlsx_with_title_block_dates_and_text_amounts(tmp_path, capsys, epoch1904):
    wb = openpyxl.Workbook()
    if epoch1904:
        wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    ws.title = "Spend"
    ws.append(["AI vendor spend, Feb-Mar 2026"])
    ws.append([])
    ws.append(["date", "vendor", "cost", "team"])
    for i, (day, vendor, amount, team) in enumerate(ROWS):
        value = float(amount) if i % 2 else us_amount(amount, i)
        ws.append([datetime(day.year, day.month, day.day), vendor, value, team])
    ws.append(["Total", None, float(sum(r[2] for r in ROWS)), None])
    path = tmp_path / ("spend_1904.xlsx" if epoch1904 else "spend.xlsx")
    wb.save(path)
    check(tmp_path, capsys, path, totals_rows=1)


def test_rejected_rows_are_listed_and_good_rows_kept(tmp_path, capsys):
    text = ("date,vendor,cost,team\n"
            "2026-02-01,OpenAI,100.00,Search\n"
            "2026-02-02,OpenAI,twelve,Search\n"      # unparseable amount
            "2026-02-31,OpenAI,5.00,Search\n"        # no such day
            "2026-02-03,,7.00,Search\n"              # no vendor
            "2026-02-04,OpenAI,0.10,Search\n")
    path = write(tmp_path / "some_bad.csv", text)
    b = budgets_for(tmp_path / "b.csv", {("OpenAI", "2026-02"): None})
    d = analyze(capsys, "--usage", path, "--budgets", b)
    check_accounting(d)
    rep = d["imports"][0]
    assert (rep["rows_read"], rep["rows_imported"], rep["rows_rejected"]) == (5, 2, 3)
    rows = sorted((e["row"], e["column"]) for e in rep["errors"])
    assert rows == [(3, "cost"), (4, "date"), (5, "vendor")]
    assert actuals(d) == {("OpenAI", "2026-02"): Decimal("100.10")}


def test_fx_rates_by_validity_period_and_euro_spellings(tmp_path, capsys):
    fx = write(tmp_path / "fx.csv", "currency,rate,valid_from,valid_to\nEUR,1.10,2026-01-01,2026-01-31\n"
               "EUR,1.05,2026-02-01,2026-02-28\nGBP,1.2712,,\n")
    u = write(tmp_path / "u.csv", "date;vendor;cost;currency;team\n2026-01-15;OpenAI;100,00;EUR;A\n"
              "2026-02-15;OpenAI;12,50 €;;A\n2026-02-15;OpenAI;€ 1.234,56;;A\n2026-02-16;OpenAI;10,01;GBP;A\n"
              "2026-03-01;OpenAI;5,00;EUR;A\n")
    want = {("A", "2026-01"): Decimal("100.00") * Decimal("1.10"),
            ("A", "2026-02"): (Decimal("12.50") + Decimal("1234.56")) * Decimal("1.05")
            + Decimal("10.01") * Decimal("1.2712"),
            ("A", "2026-03"): Decimal(0)}  # no EUR rate valid on 2026-03-01: left out, reported
    b = budgets_for(tmp_path / "b.csv", want, dimension="team")
    d = analyze(capsys, "--usage", u, "--fx-rates", fx, "--budgets", b)
    assert d["imports"][0]["rows_rejected"] == 0
    assert actuals(d) == {k: cents(v) for k, v in want.items()}
    status, out, _ = run(capsys, "analyze", "--usage", u, "--fx-rates", fx, "--format", "text")
    assert status == 0 and "u.csv row 6" in out and "EUR" in out


def _lane_file(path, style: str):
    """~1.8 MB of usage with quoted vendor aliases, signed amounts, NULL/blank teams. Dates: plain
    ISO (style "iso"), zoned timestamps that cross a month edge in UTC ("tz"), or a mix of both with
    padded amounts and one "$0.00" ("careful"). Returns the expected totals per vendor / team."""
    import random

    rnd = random.Random(42)
    teams = ["Search", " Support ", "Growth", "Data Platform", "NULL", ""]
    vendors = [("OpenAI", "OpenAI"), ('"OpenAI, L.L.C."', "OpenAI"), ("openai", "OpenAI"),
               ("Anthropic", "Anthropic"), ("Azure OpenAI", "Azure OpenAI")]
    iso = ["{d}", "{d} 10:00:00"]
    tz = ["{d}T23:30:00-05:00", "{d}T01:00:00+02:00", "{d}T12:00:00Z"]
    stamps = {"iso": iso, "tz": tz, "careful": iso + tz}[style]
    lines = ["date,vendor,cost,team,project,model,commit_eligible"]
    by_vendor: dict = {}
    by_team: dict = {}
    for i in range(30000):
        stamp = stamps[i % len(stamps)].format(d=f"2026-02-{rnd.randint(1, 28):02d}")
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        if when.tzinfo is not None:
            when = when.astimezone(UTC)
        month = when.strftime("%Y-%m")
        amount = Decimal(rnd.randint(-5000, 500000)) / 1000
        text = f" {amount:+.4f} " if style == "careful" and i % 3 == 0 else f"{amount:.6f}"
        team = teams[i % len(teams)]
        raw_vendor, vendor = vendors[i % len(vendors)]
        lines.append(f"{stamp},{raw_vendor},{text},{team},p{i % 7},m{i % 3},"
                     f"{['true', 'false', 'TRUE', 'no', '1', ''][i % 6]}")
        by_vendor[(vendor, month)] = by_vendor.get((vendor, month), Decimal(0)) + amount
        if team.strip() not in ("", "NULL"):
            by_team[(team.strip(), month)] = by_team.get((team.strip(), month), Decimal(0)) + amount
    if style == "careful":
        lines.append("2026-02-10,OpenAI,$0.00,Search,p,m,true")
    write(path, "\n".join(lines) + "\n")

    return {k: cents(v) for k, v in by_vendor.items()}, {k: cents(v) for k, v in by_team.items()}


@pytest.mark.parametrize("style", ["iso", "tz", "careful"])
def test_big_file_both_lanes_total_to_the_cent(tmp_path, capsys, monkeypatch, style):
    """A clean >= 1 MB UTF-8 CSV takes the pyarrow fast lane; mixed date styles, padded amounts
    and one "$0.00" send the rows through the careful reader. Both must give the independent
    Decimal totals."""
    from desktop.ingest import fast

    lanes = []
    real = fast.read_usage

    def spy(*a, **k):
        got = real(*a, **k)
        lanes.append("fast" if got is not None else "careful")
        return got

    monkeypatch.setattr(fast, "read_usage", spy)
    path = tmp_path / "big.csv"
    by_vendor, by_team = _lane_file(path, style)
    assert path.stat().st_size > 1 << 20
    for dim, want in (("vendor", by_vendor), ("team", by_team)):
        d = analyze(capsys, "--usage", path, "--budgets", budgets_for(tmp_path / f"b_{dim}.csv", want, dim),
                    "--as-of", "2026-03-01")
        rep = d["imports"][0]
        assert rep["rows_rejected"] == 0 and rep["rows_imported"] == 30000 + (style == "careful")
        assert actuals(d) == want, dim
    assert set(lanes) == {"careful" if style == "careful" else "fast"}, lanes


@pytest.mark.parametrize("name,text,encoding", [
    ("kosten.csv", "Datum;Anbieter;Kosten;Team\n01.02.2026;OpenAI;1.234,56;Suche\n15.02.2026;Anthropic;99,90;Suche\n",
     "cp1252"),
    ("gastos.csv", 'Fecha,Proveedor,Importe,Equipo\n15/02/2026,OpenAI,"1.234,56",Suche\n'
                   '16/02/2026,Anthropic,"99,90",Suche\n', "utf-8"),
    ("couts.csv", 'Date,Fournisseur,Montant,Équipe\n15/02/2026,OpenAI,"1 234,56",Suche\n'
                  '16/02/2026,Anthropic,"99,90",Suche\n', "utf-8-sig"),
])
def test_foreign_language_headers_are_mapped(tmp_path, capsys, name, text, encoding):
    p = write(tmp_path / name, text, encoding)
    want = {("OpenAI", "2026-02"): Decimal("1234.56"), ("Anthropic", "2026-02"): Decimal("99.90")}
    d = analyze(capsys, "--usage", p, "--budgets", budgets_for(tmp_path / "b.csv", want))
    assert d["imports"][0]["rows_rejected"] == 0 and d["imports"][0]["rows_imported"] == 2
    assert actuals(d) == want
    teams = {("Suche", "2026-02"): Decimal("1334.46")}
    d = analyze(capsys, "--usage", p, "--budgets", budgets_for(tmp_path / "t.csv", teams, dimension="team"))
    assert actuals(d) == teams
