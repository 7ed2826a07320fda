"""The critical-point list shows every stationary point in view with its coordinates and f, follows the
surface, and double-clicking a row moves the selected run's start next to that point."""

from __future__ import annotations

import pytest

from explorer.model import Comparison
from explorer.runs import RunSpec
from explorer.surface import compile_surface
from widgets.critical_list import CriticalPointList

HIMMELBLAU = "(x^2 + y - 11)^2 + (x + y^2 - 7)^2"


def _rows(widget):
    t = widget.table
    return [[t.item(r, c).text() for c in range(t.columnCount())] for r in range(t.rowCount())]


def test_himmelblau_points_are_listed_with_coordinates_and_value(qtbot):
    model = Comparison(compile_surface(HIMMELBLAU), [RunSpec("gd", "sgd", (0.0, 0.0), {"lr": 0.01})],
                       x_range=(-5, 5), y_range=(-5, 5), default_steps=50)
    widget = CriticalPointList(model)
    qtbot.addWidget(widget)
    qtbot.waitUntil(lambda: widget.table.rowCount() == 9, timeout=20_000)
    rows = _rows(widget)
    kinds = [r[0] for r in rows]
    assert kinds.count("▼ minimum") == 4 and kinds.count("✕ saddle") == 4 and kinds.count("▲ maximum") == 1
    minimum_33 = [r for r in rows if r[0] == "▼ minimum" and r[1] == "3"]
    # shown for people: the minimum (3, 2) reads "3", "2" and f "≈ 0", not 2.9999999 and 1.2e-17
    assert minimum_33 and minimum_33[0][2] == "2" and minimum_33[0][3] == "≈ 0"
    assert "−3.779" in [r[1] for r in rows]
    assert "4 minima" in widget.status.text() and "1 maximum" in widget.status.text()

    # a new surface replaces the list
    model.set_surface(compile_surface("x^2 + y^2"))
    qtbot.waitUntil(lambda: widget.table.rowCount() == 1, timeout=20_000)
    assert _rows(widget)[0][0] == "▼ minimum"

    # double-click: the selected run starts 2 % of the view away from the point
    widget.table.cellDoubleClicked.emit(0, 0)
    assert model.runs[0].start == pytest.approx((0.2, 0.2))
