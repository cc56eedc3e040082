"""The table model's data() as a repaint calls it (issue 19 point 5): the role decides first,
unused roles answer None at once, every kind's text comes from a formatter chosen per column, and
a few strings need no pandas."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt

from desktop.ui.models.table import RAW_ROLE, SORT_ROLE, SOURCE_ROW_ROLE, Col, ColumnTableModel, _factorize

ROOT = Path(__file__).resolve().parents[2]


def _model() -> ColumnTableModel:
    m = ColumnTableModel()
    m.set_columns([
        Col.text("Team", ["Search", None, "Growth"]),
        Col.micros("Cost", [1_234_565_000, -2_500_000, 0]),
        Col.num("Share", [0.436, None, 0.0], kind="pct"),
        Col.num("Ratio", [1.23456, float("nan"), 0.0], kind="ratio"),
        Col.num("Tokens", [1234.5, None, 2.0], kind="qty"),
        Col.num("Amount", [1234.5, None, -0.5]),
        Col.ints("Rows", [1_234, 0, -7]),
        Col.date("Day", ["2026-01-03", None, "2026-12-31"]),
    ])
    return m


def cell(m, r, c, role=Qt.ItemDataRole.DisplayRole):
    return m.data(m.index(r, c), role)


def test_each_kind_reads_as_written_by_hand():
    m = _model()
    rows = [[cell(m, r, c) for c in range(m.columnCount())] for r in range(3)]
    assert rows == [
        ["Search", "1,234.57", "43.6%", "1.235", "1,234.5", "1,234.50", "1,234", "2026-01-03"],
        ["", "-2.50", "—", "—", "", "", "0", ""],
        ["Growth", "0.00", "0.0%", "0.000", "2", "-0.50", "-7", "2026-12-31"],
    ]
    # the edit role shows the same text as the display role
    assert cell(m, 0, 1, Qt.ItemDataRole.EditRole) == "1,234.57"


def test_sorted_rows_show_their_own_values():
    m = _model()
    m.sort(1, Qt.SortOrder.AscendingOrder)  # by cost: -2.50, 0.00, 1,234.57
    assert [cell(m, r, 1) for r in range(3)] == ["-2.50", "0.00", "1,234.57"]
    assert [cell(m, r, 0) for r in range(3)] == ["", "Growth", "Search"]
    assert [cell(m, r, 0, SOURCE_ROW_ROLE) for r in range(3)] == [1, 2, 0]


def test_roles_a_repaint_asks_for_but_the_model_does_not_use_are_none():
    m = _model()
    for role in (Qt.ItemDataRole.DecorationRole, Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.CheckStateRole,
                 Qt.ItemDataRole.SizeHintRole, Qt.ItemDataRole.StatusTipRole, Qt.ItemDataRole.WhatsThisRole):
        assert cell(m, 0, 0, role) is None, role
    # numbers right-aligned, text left to Qt's default; no colour or font unless asked for
    right = int((Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter).value)
    assert cell(m, 0, 1, Qt.ItemDataRole.TextAlignmentRole) == right
    assert cell(m, 0, 0, Qt.ItemDataRole.TextAlignmentRole) is None
    assert cell(m, 0, 0, Qt.ItemDataRole.BackgroundRole) is None
    assert cell(m, 0, 0, Qt.ItemDataRole.FontRole) is None
    # the roles the app reads
    assert cell(m, 0, 1, SORT_ROLE) == 1_234_565_000
    assert str(cell(m, 0, 1, RAW_ROLE)) == "1234.565"
    assert cell(m, 1, 0, SORT_ROLE) is None


def test_row_colours_and_bold_still_come_through():
    from PySide6.QtGui import QColor

    m = _model()
    m.palette = [QColor("#FF0000")]
    m.row_colors = np.array([-1, 0, -1], dtype=np.int8)
    m.row_bold = np.array([False, False, True])
    assert cell(m, 0, 0, Qt.ItemDataRole.BackgroundRole) is None
    assert cell(m, 1, 0, Qt.ItemDataRole.BackgroundRole).color().name() == "#ff0000"
    assert cell(m, 2, 0, Qt.ItemDataRole.FontRole).bold()
    assert cell(m, 0, 0, Qt.ItemDataRole.FontRole) is None


def test_factorize_without_pandas_matches_the_rule():
    codes, uniques = _factorize(["b", None, "a", "b", float("nan"), "a"])
    assert codes.tolist() == [0, -1, 1, 0, -1, 1]
    assert uniques == ["b", "a"]
    assert Col.text("T", ["x", None]).uniques.tolist() == ["x"]


def test_a_table_of_a_few_strings_loads_no_pandas():
    code = ("import sys\n"
            "from desktop.ui.models.table import Col, ColumnTableModel\n"
            "m = ColumnTableModel()\n"
            "import numpy as np\n"
            "m.set_columns([Col.text('A', ['x', 'y']), Col.date('D', np.array(['2026-01-01', 'NaT'],"
            " dtype='datetime64[ns]')), Col.micros('C', [1, 2])])\n"
            "print(m.data(m.index(0, 0)), 'pandas' in sys.modules, 'pyarrow' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120,
                         env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})
    assert out.stdout.split() == ["x", "False", "False"], out.stderr[-500:]

