"""Term rules and missing FX rates seen from the command line and the workspace (issue 12,
steps 4 and 6): a bad term is refused with file, row and column; a contract or invoice in a
currency without a rate is left out with a warning naming its rows, and the rest is computed."""

from __future__ import annotations

import json
from pathlib import Path

from desktop.cli import main

TERMS = "contract_id,vendor,period_start,period_end,commitment,overage_multiplier\n"


def write(folder: Path, name: str, text: str) -> Path:
    p = folder / name
    p.write_text(text, encoding="utf-8")
    return p


def run(capsys, *argv):
    status = main([str(a) for a in argv])
    cap = capsys.readouterr()
    assert "Traceback" not in cap.err
    return status, cap.out, cap.err


def test_overage_multiplier_below_one_is_refused_not_a_negative_premium(tmp_path, capsys):
    # 1,210 spent against 1,000 in an ended period: with a multiplier of 0.5 the old code printed
    # an overage premium of 210 x (0.5 - 1) = -105.00 and no rejected row
    c = write(tmp_path, "c.csv", TERMS + "C-1,OpenAI,2026-01-01,2026-01-10,1000.00,0.5\n")
    u = write(tmp_path, "u.csv", "date,vendor,cost\n2026-01-05,OpenAI,1210.00\n")
    status, out, err = run(capsys, "analyze", "--contracts", c, "--usage", u, "--as-of", "2026-01-10",
                           "--format", "json")
    assert status == 2 and out == ""
    assert err.startswith("commitdesk: c.csv, row 2, column 'overage_multiplier': ")
    assert "overage_multiplier must be at least 1 (below 1, overage would cost less than the commitment)" in err
    # at the boundary the same file is fine, and the premium is 210 x (1 - 1) = 0.00
    c.write_text(TERMS + "C-1,OpenAI,2026-01-01,2026-01-10,1000.00,1\n", encoding="utf-8")
    status, out, err = run(capsys, "analyze", "--contracts", c, "--usage", u, "--as-of", "2026-01-10",
                           "--format", "json")
    assert status == 0, err
    k = json.loads(out)["contracts"][0]
    assert (k["overage"], k["overage_premium"]) == ("210.00", "0.00")


def test_reference_rows_are_refused_by_cli_and_workspace_alike(tmp_path, capsys):
    from desktop.store import Workspace

    c = write(tmp_path, "c.csv", TERMS + "C-1,OpenAI,2026-01-01,2026-06-30,1000.00,1.2\n"
                                         "C-2,OpenAI,2026-01-01,2026-06-30,1000.00,0.999\n")
    status, _, cli_err = run(capsys, "analyze", "--contracts", c)
    assert status == 2
    status, _, import_err = run(capsys, "import", "--workspace", tmp_path / "w.commitdesk", c)
    assert status == 2
    verdict = ("c.csv, row 3, column 'overage_multiplier': overage_multiplier must be at least 1 (below 1, "
               "overage would cost less than the commitment) (value '0.999'); the file was not imported")
    assert verdict in cli_err and verdict in import_err
    with Workspace.open(tmp_path / "w.commitdesk", readonly=True) as ws:
        assert ws.batches() == []


def _eur_files(folder: Path) -> tuple[Path, Path, Path]:
    c = write(folder, "commits.csv",
              "contract_id,vendor,period_start,period_end,commitment,currency\n"
              "US-1,OpenAI,2026-01-01,2026-06-30,6000.00,USD\n"
              "EU-1,Anthropic,2026-01-01,2026-03-31,3000.00,EUR\n"
              "EU-1,Anthropic,2026-04-01,2026-06-30,3000.00,EUR\n")
    u = write(folder, "usage.csv", "date,vendor,cost\n2026-01-10,OpenAI,100.00\n2026-01-11,Anthropic,40.00\n")
    i = write(folder, "inv.csv",
              "invoice_id,vendor,invoice_date,period_start,period_end,amount,currency\n"
              "INV-US,OpenAI,2026-02-01,2026-01-01,2026-01-31,100.00,USD\n"
              "INV-EU,Anthropic,2026-02-01,2026-01-01,2026-01-31,37.00,EUR\n"
              "INV-EU,Anthropic,2026-02-01,2026-01-01,2026-01-31,1.00,EUR\n")
    return c, u, i


def test_cli_leaves_out_contracts_and_invoices_without_a_rate_and_computes_the_rest(tmp_path, capsys):
    c, u, i = _eur_files(tmp_path)
    status, out, err = run(capsys, "analyze", "--contracts", c, "--usage", u, "--invoices", i,
                           "--as-of", "2026-01-31", "--format", "json")
    assert status == 0, err
    d = json.loads(out)
    assert [k["contract_id"] for k in d["contracts"]] == ["US-1"]
    assert d["contracts"][0]["consumed_to_date"] == "100.00"
    assert [v["invoice_id"] for v in d["invoices"]] == ["INV-US"]
    assert ("commits.csv rows 3-4: contract EU-1 is left out of the figures: no FX rate for EUR -> USD valid on "
            "2026-01-01, EUR -> USD valid on 2026-04-01; import one (an FX rates file) to see it") in d["warnings"]
    # invoice lines are converted on their billing period end (2026-01-31), not the invoice date
    assert ("inv.csv rows 3-4: invoice INV-EU is left out of the figures: no FX rate for EUR -> USD valid on "
            "2026-01-31; import one (an FX rates file) to see it") in d["warnings"]
    # with a rate both come back, converted
    fx = write(tmp_path, "fx.csv", "currency,rate\nEUR,1.10\n")
    status, out, err = run(capsys, "analyze", "--contracts", c, "--usage", u, "--invoices", i, "--fx-rates", fx,
                           "--as-of", "2026-01-31", "--format", "json")
    d = json.loads(out)
    eu = next(k for k in d["contracts"] if k["contract_id"] == "EU-1")
    assert eu["commitment"] == "6600.00" and eu["consumed_to_date"] == "40.00"
    assert next(v for v in d["invoices"] if v["invoice_id"] == "INV-EU")["invoiced"] == "41.80"
    assert not [w for w in d["warnings"] if "left out" in w]


def test_workspace_with_a_commitment_without_rate_names_it_at_import_and_computes_the_rest(tmp_path):
    from desktop.store import Workspace
    from desktop.workspace_analysis import analyse_workspace

    c, u, i = _eur_files(tmp_path)
    with Workspace.open(tmp_path / "w.commitdesk", create=True) as ws:
        ws.import_file(u)
        rep = ws.import_file(c)
        assert ("commitment rows 3-4 are in EUR and the workspace has no EUR -> USD rate valid on their dates: "
                "they will be left out of the figures until you import one") in rep.warnings
        assert rep.rows_rejected == 0 and rep.rows_read == rep.rows_imported == 3
        inv = ws.import_file(i)
        assert any(w.startswith("invoice rows 3-4 are in EUR") for w in inv.warnings)
        a = analyse_workspace(ws, as_of=None)
        assert [k.contract_id for k in a.contracts] == ["US-1"] and [v.invoice_id for v in a.invoices] == ["INV-US"]
        assert any("contract EU-1 is left out of the figures" in w for w in a.warnings)
        assert a.budgets == () and a.chargeback  # the rest of the workspace is computed
    with Workspace.open(tmp_path / "w.commitdesk") as ws:  # reopening works too
        assert [k.contract_id for k in analyse_workspace(ws, as_of=None).contracts] == ["US-1"]
        ws.import_file(write(tmp_path, "fx.csv", "currency,rate\nEUR,1.10\n"))
        assert [k.contract_id for k in analyse_workspace(ws, as_of=None).contracts] == ["EU-1", "US-1"]
        # once a rate is there, a new EUR file gets no note
        rep = ws.import_file(write(tmp_path, "more.csv", "contract_id,vendor,period_start,period_end,commitment,"
                                   "currency\nEU-2,Mistral,2026-01-01,2026-06-30,10.00,EUR\n"))
        assert not [w for w in rep.warnings if "left out" in w]
