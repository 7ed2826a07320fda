"""Data for losses over examples: CSV reading with row/column errors, datasets, and surfaces averaged over rows."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.data import DataError, Dataset, make_dataset, parse_csv, read_csv
from explorer.expression import ExpressionError
from explorer.surface import compile_surface

POINTS = "x,y\n0.0,1.0\n1.0,3.1\n2.0,4.9\n3.0,7.2\n"


def test_csv_reads_header_and_numbers(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text(POINTS)
    data = read_csv(path)
    assert data.columns == ("x", "y") and len(data) == 4
    assert data.column("y").tolist() == [1.0, 3.1, 4.9, 7.2]


@pytest.mark.parametrize("text,row,column,words", [
    ("x,y\n0,1\n1,abc\n", 3, "y", "'abc' is not a number"),
    ("x,y\n0,1\n1\n", 3, None, "has 1 values, the header has 2"),
    ("x,y\n0,1\n\n2,nan\n", 4, "y", "not a finite number"),
    ("x,y\n0,1e400\n", 2, "y", "not a finite number"),
    ("x,2y\n0,1\n", 1, None, "header"),
    ("x,x\n0,1\n", 1, None, "used twice"),
    ("x,sin\n0,1\n", 1, None, "function or constant"),
    ("", None, None, "empty"),
])
def test_csv_errors_name_row_and_column(text, row, column, words, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(DataError) as caught:
        read_csv(path)
    err = caught.value
    assert err.row == row and err.column == column
    assert words in err.problem
    shown = str(err)
    assert shown.startswith(str(path))
    if row is not None:
        assert f"row {row}" in shown
    if column is not None:
        assert f"column '{column}'" in shown


def test_unreadable_and_binary_files_are_data_errors(tmp_path):
    with pytest.raises(DataError, match="cannot be read"):
        read_csv(tmp_path / "missing.csv")
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"\xff\xfe\x00x,y\n")
    with pytest.raises(DataError, match="not a text file"):
        read_csv(binary)


def test_dataset_edits_make_new_datasets():
    data = parse_csv(POINTS)
    moved = data.with_row(1, [1.0, 2.0])
    assert data.rows[1, 1] == 3.1 and moved.rows[1, 1] == 2.0
    assert len(data.with_added([4.0, 9.0])) == 5 and len(data.without(0)) == 3
    assert moved != data and parse_csv(POINTS) == data
    std = data.standardised(["x"])
    assert std.column("x").mean() == pytest.approx(0) and std.column("x").std() == pytest.approx(1)
    assert parse_csv(data.to_csv_text()) == data
    with pytest.raises(ValueError):
        data.rows[0, 0] = 5.0  # read-only: a dataset never changes under a surface


def test_make_dataset_names_the_bad_cell():
    with pytest.raises(DataError) as caught:
        make_dataset(["x", "y"], [[1, 2], [3, "four"]])
    assert caught.value.row == 2 and caught.value.column == "y"


def _mse_by_hand(w, b, data):
    x, y = data.column("x"), data.column("y")
    r = w * x + b - y
    return np.mean(r * r), np.array([np.mean(2 * r * x), np.mean(2 * r)])


def test_mean_loss_over_rows_matches_a_hand_computation():
    data = parse_csv(POINTS)
    s = compile_surface("(w*x + b - y)^2", variables=("w", "b"), data=data)
    assert s.columns == ("x", "y") and s.parameters == {}
    P = np.array([[0.5, 0.2], [2.0, 1.0], [-1.0, 3.0]])
    for p, f, g in zip(P, s.value(P), s.gradient(P)):
        f_hand, g_hand = _mse_by_hand(*p, data)
        assert f == pytest.approx(f_hand, rel=1e-13) and g == pytest.approx(g_hand, rel=1e-13)
    x = data.column("x")
    H = np.array([[np.mean(2 * x * x), np.mean(2 * x)], [np.mean(2 * x), 2.0]])
    assert s.hessian([0.3, 0.4]) == pytest.approx(H, rel=1e-13)
    total = compile_surface("(w*x + b - y)^2", variables=("w", "b"), data=data, reduction="sum")
    assert total.value([0.5, 0.2]) == pytest.approx(4 * s.value([0.5, 0.2]))


def test_data_loss_gradients_agree_with_finite_differences():
    rng = np.random.default_rng(3)
    data = Dataset(("age", "readmitted"), np.column_stack([rng.uniform(20, 80, 40), rng.integers(0, 2, 40)]))
    s = compile_surface("log(1 + exp(-(2*readmitted - 1)*(w*age/50 + b)))", variables=("w", "b"), data=data)
    pts = rng.normal(size=(6, 2))
    h = 1e-6
    e = np.eye(2) * h
    fd = np.stack([(s.value(pts + e[i]) - s.value(pts - e[i])) / (2 * h) for i in range(2)], axis=-1)
    assert np.abs(s.gradient(pts) - fd).max() < 1e-7
    fd_h = np.stack([(s.gradient(pts + e[i]) - s.gradient(pts - e[i])) / (2 * h) for i in range(2)], axis=-2)
    assert np.abs(s.hessian(pts) - fd_h).max() < 1e-6


def test_moving_a_data_point_changes_the_surface_without_recompiling():
    data = parse_csv(POINTS)
    s = compile_surface("(w*x + b - y)^2", variables=("w", "b"), data=data)
    moved = s.with_data(data.with_row(0, [0.0, 5.0]))
    assert moved.symbolic is s.symbolic
    assert moved.value([2.0, 1.0]) == pytest.approx(_mse_by_hand(2.0, 1.0, moved.data)[0])
    assert s.value([2.0, 1.0]) == pytest.approx(_mse_by_hand(2.0, 1.0, data)[0])


def test_column_names_must_match_the_data():
    data = parse_csv(POINTS)
    with pytest.raises(ExpressionError, match="unknown name 'x'"):
        compile_surface("(w*x + b - y)^2", variables=("w", "b"), free_parameters=False)
    with pytest.raises(ExpressionError, match="did you mean"):
        compile_surface("(w*xx + b - y)^2", variables=("w", "b"), data=Dataset(("xx1", "y"), data.rows))


# --------------------------------------------------------------------------------------------------------
# The model's prediction, the data pane's settings in a preset, and the one-click models.

def test_prediction_formula_evaluates_on_columns():
    from explorer.data_models import compile_prediction

    p = compile_prediction("sigmoid(w*age + b)", ("w", "b"), (), ("age", "readmitted"))
    assert p.inputs == ("age",)
    out = p([0.1, -5.0], {}, {"age": np.array([0.0, 50.0, 100.0])})
    assert out == pytest.approx(1 / (1 + np.exp(-np.array([-5.0, 0.0, 5.0]))))
    with pytest.raises(ExpressionError, match="unknown name 'height'"):
        compile_prediction("w*height + b", ("w", "b"), (), ("age",))


@pytest.mark.parametrize("key,x,y", [("linear", "x", "y"), ("logistic", "age", "readmitted"), ("distance", "cx", "cy")])
def test_templates_make_valid_presets_whose_loss_matches_the_model(key, x, y):
    from explorer.data_models import template
    from explorer.preset import loads_preset

    t = template(key).apply(x, y)
    rows = [[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 1.0]]
    q = lambda v: '"' + v + '"'  # noqa: E731
    text = (f'format = "gradient-descent-explorer/preset"\nversion = 2\ntitle = "{key}"\n[surface]\n'
            f"variables = [{', '.join(map(q, t['variables']))}]\nranges = {[list(r) for r in t['ranges']]}\n"
            f"expression = {q(t['expression'])}\n[data]\ncolumns = [{q(x)}, {q(y)}]\nrows = {rows}\n"
            + (f"prediction = {q(t['prediction'])}\n" if t["prediction"] else "")
            + (f"on_map = [{q(x)}, {q(y)}]\n" if t["on_map"] else "")
            + f'[[runs]]\noptimizer = "sgd"\nstart = {list(t["start"])}\nparams = {{ lr = 0.1 }}\n')
    preset = loads_preset(text)
    s = preset.build_surface()
    theta = np.array([0.7, -0.3])
    xs, ys = np.array(rows).T
    if key == "linear":
        expected = np.mean((0.7 * xs - 0.3 - ys) ** 2)
    elif key == "logistic":
        prob = 1 / (1 + np.exp(-(0.7 * xs - 0.3)))
        expected = -np.mean(ys * np.log(prob) + (1 - ys) * np.log(1 - prob))
    else:
        expected = np.mean(np.hypot(0.7 - xs, -0.3 - ys))
    assert s.value(theta) == pytest.approx(expected, rel=1e-12)
    assert preset.data.on_map == ((x, y) if key == "distance" else None)


def test_standardised_columns_change_the_loss_and_round_trip(tmp_path):
    from explorer.preset import load_preset, loads_preset, save_preset

    text = ('format = "gradient-descent-explorer/preset"\nversion = 2\ntitle = "scaling"\n[surface]\n'
            'variables = ["w", "b"]\nranges = [[-3.0, 3.0], [-3.0, 3.0]]\nexpression = "(w*x + b - y)^2"\n'
            '[data]\ncolumns = ["x", "y"]\nrows = [[100.0, 1.0], [200.0, 2.0], [300.0, 3.5]]\n'
            'standardise = ["x"]\nprediction = "w*x + b"\nshow = ["x", "y"]\n'
            '[[runs]]\noptimizer = "sgd"\nstart = [0.0, 0.0]\nparams = { lr = 0.1 }\n')
    preset = loads_preset(text)
    s = preset.build_surface()
    z = (np.array([100.0, 200.0, 300.0]) - 200.0) / np.std([100.0, 200.0, 300.0])
    assert s.value([1.0, 2.0]) == pytest.approx(np.mean((z + 2.0 - np.array([1.0, 2.0, 3.5])) ** 2))
    assert preset.data.dataset.column("x").tolist() == [100.0, 200.0, 300.0]  # the raw rows are kept
    save_preset(preset, tmp_path / "s.toml")
    assert load_preset(tmp_path / "s.toml") == preset


@pytest.mark.parametrize("extra,field,words", [
    ('prediction = "w*z + b"\n', "data.prediction", "unknown name 'z'"),
    ('show = ["x"]\n', "data.show", "2 column names"),
    ('show = ["x", "q"]\n', "data.show", "'q' is not a data column"),
    ('standardise = ["yy"]\n', "data.standardise", "did you mean 'y'"),
])
def test_data_view_settings_are_validated(extra, field, words):
    from explorer.preset import PresetError, loads_preset

    text = ('format = "gradient-descent-explorer/preset"\nversion = 2\ntitle = "t"\n[surface]\n'
            'variables = ["w", "b"]\nranges = [[-3.0, 3.0], [-3.0, 3.0]]\nexpression = "(w*x + b - y)^2"\n'
            f'[data]\ncolumns = ["x", "y"]\nrows = [[1.0, 1.0], [2.0, 2.0]]\n{extra}'
            '[[runs]]\noptimizer = "sgd"\nstart = [0.0, 0.0]\n')
    with pytest.raises(PresetError) as caught:
        loads_preset(text)
    assert caught.value.field == field and words in caught.value.problem
