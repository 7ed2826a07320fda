"""Preset files: every built-in lesson loads and round-trips, bad files are refused with the field to blame,
saving never damages the previous file, and old format versions are upgraded."""

from __future__ import annotations

import os
import tomllib

import pytest

from explorer import migrations
from explorer.preset import (
    FORMAT,
    PresetError,
    builtin_presets,
    dumps_preset,
    load_preset,
    loads_preset,
    resolve_preset,
    save_preset,
)
from explorer.runs import PALETTE

GOOD = """\
format = "gradient-descent-explorer/preset"
version = 1
title = "Test"
description = "A bowl."
steps = 100

[surface]
expression = "x^2 + a y^2"
x_range = [-2.0, 2.0]
y_range = [-1.0, 3.0]
parameters = { a = 4.0 }

[[runs]]
label = "GD"
optimizer = "sgd"
start = [1.0, 1.0]
params = { lr = 0.1 }

[[runs]]
label = "Adam"
optimizer = "adam"
start = [-1.5, 2.0]
steps = 50
color = "#e69f00"
params = { lr = 0.05, betas = [0.9, 0.999] }
noise = { std = 0.5, seed = 3 }
schedule = { kind = "cosine", T_max = 50 }

[view]
camera = { azimuth = 30.0 }
"""

BUILTINS = builtin_presets()


def test_there_are_at_least_fourteen_builtin_lessons_including_the_case_studies():
    assert len(BUILTINS) >= 14
    for name in ("rosenbrock-race", "patient-readmission", "delivery-depot", "black-scholes-calibration"):
        assert name in BUILTINS


@pytest.mark.parametrize("name", sorted(BUILTINS))
def test_builtin_lesson_loads_and_round_trips(name, tmp_path):
    preset = load_preset(BUILTINS[name])
    assert preset.title and len(preset.description.split(". ")) >= 2
    assert preset.runs and all(run.color in PALETTE for run in preset.runs)
    text = dumps_preset(preset)
    assert text.startswith(f'format = "{FORMAT}"\nversion = 2\n')
    tomllib.loads(text)
    target = tmp_path / f"{name}.toml"
    save_preset(preset, target)
    assert load_preset(target) == preset


def test_round_trip_keeps_every_field(tmp_path):
    preset = loads_preset(GOOD)
    adam = preset.runs[1]
    assert adam.params == {"lr": 0.05, "betas": (0.9, 0.999)}
    assert (adam.steps, adam.color, adam.noise.std, adam.noise.seed) == (50, "#e69f00", 0.5, 3)
    assert (adam.schedule.kind, adam.schedule.args) == ("cosine", {"T_max": 50})
    assert preset.view == {"camera": {"azimuth": 30.0}}
    assert preset.surface.parameters == {"a": 4.0}
    save_preset(preset, tmp_path / "p.toml")
    text = (tmp_path / "p.toml").read_text()
    assert "params = { lr = 0.05, betas = [0.9, 0.999] }" in text  # tidy, like the format's example
    assert "None" not in text and "visible" not in text
    assert load_preset(tmp_path / "p.toml") == preset


def test_floats_round_trip_exactly(tmp_path):
    text = GOOD.replace("lr = 0.1 }", "lr = 0.1234567890123456789 }").replace("[1.0, 1.0]", "[1e-300, 0.1]")
    preset = loads_preset(text)
    save_preset(preset, tmp_path / "p.toml")
    again = load_preset(tmp_path / "p.toml")
    assert again.runs[0].params["lr"] == preset.runs[0].params["lr"]
    assert again.runs[0].start == (1e-300, 0.1)


CORRUPT = [
    # (what, file text, field, words the problem must contain)
    ("truncated TOML", GOOD[:GOOD.index("x_range") + 12], "", "not valid toml at line"),
    ("empty file", "", "", "empty"),
    ("wrong format", GOOD.replace(FORMAT, "something/else"), "format", "not a gradient descent explorer"),
    ("no format", GOOD.replace(f'format = "{FORMAT}"\n', ""), "format", "missing"),
    ("future version", GOOD.replace("version = 1", "version = 3"), "version",
     "newer version of gradient descent explorer (format version 3); this version reads up to 2"),
    ("version as text", GOOD.replace("version = 1", 'version = "1"'), "version", "whole number"),
    ("title not text", GOOD.replace('title = "Test"', "title = 3"), "title", "string"),
    ("x_range reversed", GOOD.replace("[-2.0, 2.0]", "[2.0, -2.0]"), "surface.x_range", "less than"),
    ("x_range infinite", GOOD.replace("[-2.0, 2.0]", "[-inf, 2.0]"), "surface.x_range[0]", "finite"),
    ("start one number", GOOD.replace("start = [1.0, 1.0]", "start = [1.0]"), "runs[0].start", "2 numbers [x, y]"),
    ("start as text", GOOD.replace("start = [1.0, 1.0]", 'start = "here"'), "runs[0].start", "2 numbers"),
    ("y_range missing", GOOD.replace("y_range = [-1.0, 3.0]\n", ""), "surface.y_range", "missing"),
    ("absurd steps", GOOD.replace("steps = 100", "steps = 1000000000"), "steps", "1 to 100,000"),
    ("zero run steps", GOOD.replace("steps = 50", "steps = 0"), "runs[1].steps", "1 to 100,000"),
    ("negative tolerance", GOOD.replace("steps = 100", "steps = 100\ntolerance = -1.0"), "tolerance",
     "from 0 (never stop early)"),
    ("huge tolerance", GOOD.replace("steps = 100", "steps = 100\ntolerance = 1e300"), "tolerance", "to 1e+100"),
    ("unknown optimizer", GOOD.replace('"adam"', '"adamm"'), "runs[1].optimizer", "did you mean 'adam'"),
    ("unknown top key", GOOD.replace("steps = 100", "stpes = 100"), "stpes", "did you mean 'steps'"),
    ("unknown run key", GOOD.replace('color = "#e69f00"', 'colour = "#e69f00"'), "runs[1].colour",
     "did you mean 'color'"),
    ("unknown hyperparameter", GOOD.replace("lr = 0.1 }", "lr = 0.1, momentun = 0.9 }"),
     "runs[0].params.momentun", "did you mean 'momentum'"),
    ("negative lr", GOOD.replace("lr = 0.1 }", "lr = -0.1 }"), "runs[0].params.lr", "lr"),
    ("betas out of range", GOOD.replace("[0.9, 0.999]", "[1.5, 0.999]"), "runs[1].params.betas", "beta"),
    ("bad colour", GOOD.replace('"#e69f00"', '"orange"'), "runs[1].color", "#rrggbb"),
    ("negative noise", GOOD.replace("std = 0.5", "std = -0.5"), "runs[1].noise.std", "at least 0"),
    ("fractional seed", GOOD.replace("seed = 3", "seed = 3.5"), "runs[1].noise.seed", "whole number"),
    ("unknown schedule", GOOD.replace('"cosine"', '"cosmic"'), "runs[1].schedule.kind", "cosmic"),
    ("hostile expression", GOOD.replace("x^2 + a y^2", "().__class__.__base__.__subclasses__()"),
     "surface.expression", "characters"),
    ("tower of powers", GOOD.replace("x^2 + a y^2", "9^9^9^9"), "surface.expression", "characters"),
    ("unknown name in expression", GOOD.replace("a y^2", "b y^2"), "surface.expression", "b"),
    ("parameter named x", GOOD.replace("{ a = 4.0 }", "{ a = 4.0, x = 1.0 }"), "surface.parameters.x",
     "cannot be a parameter name"),
    ("surface missing", GOOD[:GOOD.index("[surface]")], "surface", "missing"),
    ("view not a table", GOOD.replace("[view]\ncamera = { azimuth = 30.0 }\n", "").replace(
        "steps = 100", 'steps = 100\nview = "top"'), "view", "table"),
]


@pytest.mark.parametrize("what, text, field, words", CORRUPT, ids=[case[0] for case in CORRUPT])
def test_corrupt_file_names_field_and_problem(what, text, field, words, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PresetError) as caught:
        load_preset(path)
    error = caught.value
    assert error.field == field
    assert words in error.problem.lower()
    assert str(error).startswith(f"{path}: {field + ': ' if field else ''}")


def test_error_message_is_file_field_problem():
    error = PresetError("lesson.toml", "runs[2].params.lr", "must be at least 0")
    assert str(error) == "lesson.toml: runs[2].params.lr: must be at least 0"
    assert isinstance(error, ValueError)


def test_hostile_expression_error_points_at_the_characters():
    text = GOOD.replace("x^2 + a y^2", "x^2 + __import__")
    with pytest.raises(PresetError) as caught:
        loads_preset(text, source="evil.toml")
    assert caught.value.path == "evil.toml"
    assert "characters 6–" in caught.value.problem


def test_non_utf8_file_is_refused(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes(GOOD.replace("A bowl.", "Schüssel").encode("latin-1"))
    with pytest.raises(PresetError, match="not UTF-8"):
        load_preset(path)


def test_huge_file_is_refused_before_parsing(tmp_path):
    path = tmp_path / "huge.toml"
    path.write_text(GOOD + "#" * 2_000_000)
    with pytest.raises(PresetError, match="larger than"):
        load_preset(path)


def test_missing_file_is_a_preset_error(tmp_path):
    with pytest.raises(PresetError, match="cannot be read"):
        load_preset(tmp_path / "nowhere.toml")


def _saved_twice(tmp_path):
    """A file holding one saved preset, and a different preset to save over it."""
    path = tmp_path / "lesson.toml"
    first = loads_preset(GOOD)
    save_preset(first, path)
    second = loads_preset(GOOD.replace('title = "Test"', 'title = "Changed"'))
    return path, path.read_bytes(), second


@pytest.mark.parametrize("broken", ["replace", "fsync", "write"])
def test_failed_save_leaves_the_previous_file_byte_identical(broken, tmp_path, monkeypatch):
    path, before, second = _saved_twice(tmp_path)

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    if broken == "write":
        monkeypatch.setattr("explorer.preset.dumps_preset", lambda *a: "\udcff")  # cannot be encoded
        with pytest.raises(UnicodeEncodeError):
            save_preset(second, path)
    else:
        monkeypatch.setattr(os, broken, fail)
        with pytest.raises(OSError, match="No space left on device") as caught:
            save_preset(second, path)
        assert caught.value.filename == str(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["lesson.toml"]  # no temporary file left behind


def test_unsaveable_view_is_refused_before_touching_the_file(tmp_path):
    path, before, second = _saved_twice(tmp_path)
    bad = type(second)(**{**second.__dict__, "view": {"camera": None}})
    with pytest.raises(PresetError) as caught:
        save_preset(bad, path)
    assert caught.value.field == "view.camera"
    assert path.read_bytes() == before


def test_old_version_is_migrated(monkeypatch):
    """A synthetic version 0 kept ``lr`` at the top of each run (the example in explorer.migrations)."""

    def lr_into_params(data):
        for run in data.get("runs", []):
            if "lr" in run:
                run.setdefault("params", {})["lr"] = run.pop("lr")
        return data

    monkeypatch.setitem(migrations.MIGRATIONS, 0, lr_into_params)
    old = GOOD.replace("version = 1", "version = 0").replace("params = { lr = 0.1 }", "lr = 0.1")
    preset = loads_preset(old)
    assert preset.version == 2
    assert preset.runs[0].params == {"lr": 0.1}
    assert preset.surface.variables == ("x", "y") and preset.surface.ranges == ((-2.0, 2.0), (-1.0, 3.0))
    assert dumps_preset(preset).splitlines()[1] == "version = 2"


def test_version_older_than_any_migration_is_refused():
    with pytest.raises(PresetError) as caught:
        loads_preset(GOOD.replace("version = 1", "version = 0"))
    assert caught.value.field == "version"
    assert "older" in caught.value.problem


def test_resolve_builtin_name_path_and_unknown(tmp_path):
    assert resolve_preset("rosenbrock-race") == BUILTINS["rosenbrock-race"]
    path = tmp_path / "mine.toml"
    path.write_text(GOOD)
    assert resolve_preset(str(path)) == path
    with pytest.raises(PresetError) as caught:
        resolve_preset("rosenbrok-race")
    assert "did you mean 'rosenbrock-race'" in caught.value.problem
    assert "himmelblau" in caught.value.problem


# --------------------------------------------------------------------------------------------------------
# Format version 2: variables, ranges, data, minibatches.

V2 = """\
format = "gradient-descent-explorer/preset"
version = 2
title = "Line fit"
description = "Fit a line. Watch the batch."

[surface]
variables = ["w", "b"]
ranges = [[-3.0, 3.0], [-2.0, 2.0]]
expression = "(w*x + b - y)^2"
reduction = "mean"

[data]
columns = ["x", "y"]
rows = [[0.0, 1.0], [1.0, 3.1], [2.0, 4.9], [3.0, 7.2]]

[[runs]]
label = "SGD, batch 2"
optimizer = "sgd"
start = [0.0, 0.0]
params = { lr = 0.05 }
batch = { size = 2, shuffle = true, drop_last = false, seed = 7 }
"""


def test_v2_with_inline_data_and_batch_round_trips(tmp_path):
    preset = loads_preset(V2)
    assert preset.surface.variables == ("w", "b") and preset.surface.ranges == ((-3.0, 3.0), (-2.0, 2.0))
    assert preset.data.columns == ("x", "y") and len(preset.data.dataset) == 4 and preset.data.file is None
    assert preset.runs[0].batch.size == 2 and preset.runs[0].batch.seed == 7
    surface = preset.build_surface()
    assert surface.value([2.0, 1.0]) == pytest.approx(((1 - 1) ** 2 + (3 - 3.1) ** 2 + (5 - 4.9) ** 2
                                                      + (7 - 7.2) ** 2) / 4)
    save_preset(preset, tmp_path / "fit.toml")
    text = (tmp_path / "fit.toml").read_text()
    assert 'variables = ["w", "b"]' in text and "rows = [\n  [0.0, 1.0]," in text
    assert load_preset(tmp_path / "fit.toml") == preset


def test_v2_data_file_is_relative_to_the_preset_and_kept_when_saved_beside_it(tmp_path):
    (tmp_path / "lesson").mkdir()
    (tmp_path / "lesson" / "points.csv").write_text("x,y\n0,1\n1,3\n")
    text = V2.replace('columns = ["x", "y"]\nrows = [[0.0, 1.0], [1.0, 3.1], [2.0, 4.9], [3.0, 7.2]]',
                      'file = "points.csv"')
    (tmp_path / "lesson" / "fit.toml").write_text(text)
    preset = load_preset(tmp_path / "lesson" / "fit.toml")
    assert preset.data.dataset.rows.tolist() == [[0.0, 1.0], [1.0, 3.0]]
    save_preset(preset, tmp_path / "lesson" / "copy.toml")
    assert 'file = "points.csv"' in (tmp_path / "lesson" / "copy.toml").read_text()
    save_preset(preset, tmp_path / "elsewhere.toml")
    assert 'file = "lesson/points.csv"' in (tmp_path / "elsewhere.toml").read_text()
    assert load_preset(tmp_path / "elsewhere.toml").data.dataset == preset.data.dataset
    # data edited in the app is written inline: the CSV no longer holds it
    from dataclasses import replace

    from explorer.preset_schema import DataSpec
    edited = replace(preset, data=DataSpec(preset.data.dataset.with_row(0, [0.0, 2.0]), preset.data.file))
    save_preset(edited, tmp_path / "lesson" / "edited.toml")
    assert "rows = [" in (tmp_path / "lesson" / "edited.toml").read_text()
    with pytest.raises(PresetError) as caught:
        loads_preset(text)  # a string has no folder for the relative path
    assert caught.value.field == "data.file"


def test_v2_bad_csv_names_the_preset_field_and_the_row_and_column(tmp_path):
    (tmp_path / "points.csv").write_text("x,y\n0,1\n1,three\n")
    (tmp_path / "fit.toml").write_text(V2.replace(
        'columns = ["x", "y"]\nrows = [[0.0, 1.0], [1.0, 3.1], [2.0, 4.9], [3.0, 7.2]]', 'file = "points.csv"'))
    with pytest.raises(PresetError) as caught:
        load_preset(tmp_path / "fit.toml")
    assert caught.value.field == "data.file"
    assert "points.csv: row 3, column 'y': 'three' is not a number" in caught.value.problem


V2_CORRUPT = [
    ("start of wrong length", V2.replace("start = [0.0, 0.0]", "start = [0.0]"), "runs[0].start", "[w, b]"),
    ("ranges of wrong length", V2.replace("ranges = [[-3.0, 3.0], [-2.0, 2.0]]", "ranges = [[-3.0, 3.0]]"),
     "surface.ranges", "one per variable"),
    ("variable twice", V2.replace('variables = ["w", "b"]', 'variables = ["w", "w"]'), "surface.variables",
     "used twice"),
    ("bad reduction", V2.replace('reduction = "mean"', 'reduction = "median"'), "surface.reduction", "mean"),
    ("row too short", V2.replace("[1.0, 3.1]", "[1.0]"), "data.rows[1]", "2 numbers"),
    ("text in a row", V2.replace("[2.0, 4.9]", '[2.0, "4.9"]'), "data.rows[2][1]", "must be a number"),
    ("rows and file", V2.replace('columns = ["x", "y"]', 'columns = ["x", "y"]\nfile = "a.csv"'), "data",
     "not both"),
    ("column also a variable", V2.replace('columns = ["x", "y"]', 'columns = ["w", "y"]'), "data.columns",
     "also a variable"),
    ("batch without data", V2.split("[data]")[0] + V2.split("[data]")[1].split("\n\n", 1)[1].replace(
        "(w*x + b - y)^2", "w^2 + b^2"), "runs[0].batch", "need data"),
    ("batch size zero", V2.replace("size = 2", "size = 0"), "runs[0].batch.size", "1 to"),
    ("unknown batch key", V2.replace("drop_last = false", "droplast = false"), "runs[0].batch.droplast",
     "did you mean 'drop_last'"),
    ("lr as an array", V2.replace("lr = 0.05", "lr = [0.1, 0.2]"), "runs[0].params.lr", "single value"),
    ("empty lr array", V2.replace("lr = 0.05", "lr = []"), "runs[0].params.lr", "single value"),
    ("betas of three", V2.replace('optimizer = "sgd"', 'optimizer = "adam"').replace(
        "lr = 0.05", "lr = 0.05, betas = [0.9, 0.99, 0.9]"), "runs[0].params.betas", "2 numbers"),
    ("undeclared parameter", V2.replace("(w*x + b - y)^2", "(k*w*x + b - y)^2"), "surface.expression",
     "unknown name 'k'"),
    ("too many steps in all", V2.replace('title = "Line fit"', 'title = "Line fit"\nsteps = 100000') + "".join(
        '\n[[runs]]\noptimizer = "sgd"\nstart = [0.0, 0.0]\n' for _ in range(10)), "runs", "add up to"),
    ("huge range", V2.replace("[-3.0, 3.0]", "[-1e308, 1e308]"), "surface.ranges[0]", "within"),
]


@pytest.mark.parametrize("what, text, field, words", V2_CORRUPT, ids=[case[0] for case in V2_CORRUPT])
def test_v2_corrupt_file_names_field_and_problem(what, text, field, words, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PresetError) as caught:
        load_preset(path)
    assert caught.value.field == field
    assert words in caught.value.problem


def test_v2_any_number_of_variables(tmp_path):
    for d in (1, 3, 10):
        names = [f"x{i + 1}" for i in range(d)] if d > 1 else ["x"]
        text = (f'format = "{FORMAT}"\nversion = 2\ntitle = "d={d}"\n\n[surface]\n'
                f"variables = {names!r}\nranges = {[[-1.0, 1.0]] * d!r}\n".replace("'", '"')
                + f'expression = "{" + ".join(f"{i + 1}*{n}^2" for i, n in enumerate(names))}"\n'
                + f'minima = [{[0.0] * d!r}]\n\n[[runs]]\noptimizer = "sgd"\nstart = {[0.5] * d!r}\n'
                + "params = { lr = 0.1 }\n")
        preset = loads_preset(text)
        assert preset.surface.ndim == d and preset.runs[0].start == (0.5,) * d
        save_preset(preset, tmp_path / f"d{d}.toml")
        assert load_preset(tmp_path / f"d{d}.toml") == preset
