"""The comparison keeps its data and how they are shown (DataSpec: raw rows, file, prediction, shown and on-map
columns, standardised columns) through edits, undo, saving and loading (no Qt)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from explorer.data import Dataset
from explorer.model import Comparison
from explorer.preset import builtin_presets, load_preset, save_preset
from explorer.runs import RunSpec
from explorer.surface import compile_surface

ROWS = np.array([[1.0, 2.1], [2.0, 3.9], [3.0, 6.2], [4.0, 7.8]])


def line_model(**spec) -> Comparison:
    data = Dataset(("t", "y"), ROWS)
    surface = compile_surface("(w*t + b - y)^2", variables=("w", "b"), data=data)
    m = Comparison(surface, [RunSpec("GD", "sgd", (0.0, 0.0), {"lr": 0.02})], ranges=((-1, 4), (-3, 3)),
                   default_steps=50)
    if spec:
        m.set_data_spec(replace(m.dataspec, **spec))
    return m


def test_a_lesson_with_a_csv_file_keeps_its_settings_through_save_and_load(tmp_path):
    preset = load_preset(builtin_presets()["patient-readmission"])
    m = Comparison.from_preset(preset, simulate=lambda *a, **k: None)
    spec = m.dataspec
    assert spec.standardise == ("age",) and spec.prediction == "sigmoid(w*age + b)"
    assert spec.file.endswith("patient-readmission.csv")
    assert spec.dataset.column("age").max() == 90.0                  # the rows as given
    assert abs(m.data.column("age").mean()) < 1e-12                   # the loss sees them standardised
    assert m.to_preset().data == spec
    save_preset(m.to_preset(), tmp_path / "copy.toml")                # the unchanged CSV is referenced
    again = load_preset(tmp_path / "copy.toml")
    assert again.data.dataset == spec.dataset and again.data.file == spec.file
    m.set_data(spec.dataset.with_row(0, [26.0, 0.0]))                  # edited: the rows are written inline
    save_preset(m.to_preset(), tmp_path / "edited.toml")
    assert "rows = " in (tmp_path / "edited.toml").read_text()
    assert load_preset(tmp_path / "edited.toml").data.dataset.rows[0, 0] == 26.0
    assert (again.data.prediction, again.data.show, again.data.standardise) == (
        spec.prediction, spec.show, spec.standardise)


def test_changing_how_the_data_are_shown_is_an_undoable_edit():
    m = line_model()
    edits = []
    m.edited.connect(edits.append)
    before = m.state()
    m.set_data_spec(replace(m.dataspec, prediction="w*t + b", show=("t", "y")))
    assert len(edits) == 1 and m.dataspec.prediction == "w*t + b"
    m.restore(before)
    assert m.dataspec.prediction is None


def test_standardising_changes_the_loss_and_undo_brings_the_raw_rows_back():
    m = line_model(prediction="w*t + b")
    raw_value = float(m.surface.value([1.0, 0.0]))
    before = m.state()
    m.set_data_spec(replace(m.dataspec, standardise=("t",)))
    z = (ROWS[:, 0] - ROWS[:, 0].mean()) / ROWS[:, 0].std()
    assert m.surface.value([1.0, 0.0]) == pytest.approx(np.mean((z - ROWS[:, 1]) ** 2))
    assert m.dataspec.dataset.rows.tolist() == ROWS.tolist()
    m.restore(before)
    assert m.surface.value([1.0, 0.0]) == pytest.approx(raw_value) and m.dataspec.standardise == ()


def test_moving_a_row_keeps_the_standardising_and_merges_into_one_edit():
    m = line_model(prediction="w*t + b", standardise=("t",))
    edits = []
    m.edited.connect(edits.append)
    rows = m.dataspec.dataset.rows.copy()
    for y in (5.0, 6.0, 7.0):
        rows[0, 1] = y
        with m.edit("Move data point 1", ("data", "move", 0)):
            m.set_data(Dataset(("t", "y"), rows))
    assert m.dataspec.standardise == ("t",) and m.dataspec.dataset.rows[0, 1] == 7.0
    assert abs(m.data.column("t").mean()) < 1e-12
    assert len(edits) == 3 and {e.key for e in edits} == {("data", "move", 0)}   # the undo stack merges them
    m.restore(edits[0].before)
    assert m.dataspec.dataset.rows[0, 1] == 2.1


def test_a_new_formula_over_the_same_data_keeps_the_settings_and_a_stale_prediction_is_not_saved():
    m = line_model(prediction="w*t + b", show=("t", "y"))
    m.set_surface(compile_surface("abs(w*t + b - y)", variables=("w", "b"), data=m.data))
    assert m.dataspec.prediction == "w*t + b"
    m.set_surface(compile_surface("(p*t + q - y)^2", variables=("p", "q"), data=m.data),
                  ranges=((-1, 4), (-3, 3)))
    assert m.dataspec.show == ("t", "y")
    assert m.to_preset().data.prediction is None           # it names w and b, which are gone


def test_removing_the_data_of_a_formula_without_columns():
    m = line_model()
    m.set_surface(compile_surface("w^2 + b^2", variables=("w", "b"), data=m.data))
    m.set_data_spec(None)
    assert m.data is None and m.dataspec is None and m.to_preset().data is None
