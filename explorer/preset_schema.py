"""What a preset is, what a valid one looks like, and the error that says exactly what is wrong.

A preset is one saved comparison: a surface (formula, its variables and their view ranges, parameter values,
known minima), optional data (a per-example loss is then averaged or summed over its rows), the runs that
race on it, and view settings. :mod:`explorer.preset` reads and writes it as TOML (format
``gradient-descent-explorer/preset``, version 2; version-1 files are upgraded by :mod:`explorer.migrations`);
:func:`check_preset` here checks the parsed table field by field and builds the immutable :class:`Preset`.
"""

from __future__ import annotations

import difflib
import math
import os
import re
from dataclasses import dataclass, field, replace
from typing import Any

from explorer.data import MAX_ROWS, DataError, Dataset, make_dataset, read_csv
from explorer.expression import DEFAULT_VARIABLES, MAX_VARIABLES, ExpressionError, check_names
from explorer.expression import MAX_LENGTH as MAX_EXPRESSION_CHARS
from explorer.runs import Batch, Noise, RunSpec, Schedule
from explorer.surface import DEFAULT_TIMEOUT, check_defined, compile_surface

FORMAT = "gradient-descent-explorer/preset"
VERSION = 2

# Limits that keep a hostile or mistyped file from hanging or exhausting the app.
MAX_FILE_BYTES = 1_000_000
MAX_STEPS = 100_000
MAX_RUNS = 100
MAX_TOTAL_STEPS = 1_000_000  # all runs of one comparison: every step is stored (about 160 bytes per step)
MAX_TITLE_CHARS = 200
MAX_DESCRIPTION_CHARS = 10_000
MAX_LABEL_CHARS = 200


class PresetError(ValueError):
    """A preset file that cannot be read or written.

    path : the file (or "<string>"), field : dotted location inside it such as ``runs[2].params.lr``
    ("" for the file as a whole), problem : what is wrong, in the user's words.
    ``str(error)`` is ``"FILE: FIELD: PROBLEM"`` (``"FILE: PROBLEM"`` when there is no field).
    """

    def __init__(self, path: object, field: str, problem: str) -> None:
        self.path = str(path)
        self.field = field
        self.problem = problem
        super().__init__(": ".join(part for part in (self.path, field, problem) if part))


@dataclass(frozen=True)
class SurfaceSpec:
    """The loss surface as the user typed it.

    expression : formula in the variables, the parameter names and (with data) the data columns
        (see :mod:`explorer.expression`); with data it is the loss of ONE example.
    ranges : one (min, max) per variable, min < max: the view, and the box whose 100x enlargement counts as
        "diverged".
    parameters : name -> value for the other names in the expression.
    minima : known minima, one number per variable each — for "distance to the nearest known minimum".
    variables : names of the coordinates being optimised, in order (default x, y).
    reduction : "mean" or "sum": how per-example losses combine (only used with data).
    """

    expression: str
    ranges: tuple[tuple[float, float], ...]
    parameters: dict[str, float] = field(default_factory=dict)
    minima: tuple[tuple[float, ...], ...] = ()
    variables: tuple[str, ...] = DEFAULT_VARIABLES
    reduction: str = "mean"

    @property
    def x_range(self) -> tuple[float, float]:
        """The first variable's range."""
        return self.ranges[0]

    @property
    def y_range(self) -> tuple[float, float]:
        """The second variable's range (d >= 2)."""
        if len(self.ranges) < 2:
            raise AttributeError("a surface of one variable has no y range")
        return self.ranges[1]

    @property
    def ndim(self) -> int:
        return len(self.variables)


@dataclass(frozen=True)
class DataSpec:
    """A comparison's data and how to show the model's fit to it.

    dataset : the rows as given (raw). file : absolute path of the CSV they were read from, or None.
    prediction : the model's output for one example, a formula in the variables, parameters and columns
        (``"w*x + b"``, ``"sigmoid(w*age + b)"``), drawn in the data pane; None when there is none.
    show : the two columns the data pane plots (horizontal, vertical); default the first two.
    on_map : two columns that are coordinates in the plane of the two variables (the depot's customers):
        the data are drawn on the map itself and can be dragged there. Needs exactly two variables.
    standardise : columns rescaled to mean 0 and standard deviation 1 before the loss sees them ("feature
        scaling": it rounds the contours). The surface is built from :attr:`model_dataset`.
    """

    dataset: Dataset
    file: str | None = None
    prediction: str | None = None
    show: tuple[str, str] | None = None
    on_map: tuple[str, str] | None = None
    standardise: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return self.dataset.columns

    @property
    def shown(self) -> tuple[str, str]:
        """The data pane's two columns (the first two when ``show`` is not set; one column twice if that is all)."""
        if self.show is not None:
            return self.show
        cols = self.dataset.columns
        return (cols[0], cols[1] if len(cols) > 1 else cols[0])

    @property
    def model_dataset(self) -> Dataset:
        """The rows the loss is averaged over: :attr:`dataset` with the ``standardise`` columns rescaled."""
        return self.dataset.standardised(self.standardise) if self.standardise else self.dataset


@dataclass(frozen=True)
class Preset:
    """One comparison: a surface, its data, the runs racing on it and how to show them.

    tolerance : gradient-norm stop, ‖∇f‖₂ ≤ tolerance (0 = never stop early).
    steps : step budget of runs whose own ``steps`` is None.
    view : view settings (camera, overlays, current step, colour scale); TOML values only.
    data : the data of a loss over examples, or None.
    version : the format version the data is in after migration (always :data:`VERSION`).
    """

    title: str
    description: str
    surface: SurfaceSpec
    runs: tuple[RunSpec, ...] = ()
    tolerance: float = 1e-8
    steps: int = 500
    view: dict[str, Any] = field(default_factory=dict)
    data: DataSpec | None = None
    version: int = VERSION

    def build_surface(self, *, timeout: float | None = DEFAULT_TIMEOUT):
        """Compile this preset's :class:`~explorer.surface.Surface` (raises ExpressionError), its symbolic work
        time- and memory-limited (see :func:`explorer.surface.compile_surface`)."""
        spec = self.surface
        return compile_surface(spec.expression, spec.parameters, variables=spec.variables,
                               data=self.data.model_dataset if self.data is not None else None,
                               reduction=spec.reduction, timeout=timeout, free_parameters=False)


# ---------------------------------------------------------------------------------------------------------
# Validation of a parsed (already migrated) version-1 table.

TOP_KEYS = ("format", "version", "title", "description", "tolerance", "steps", "surface", "data", "runs",
            "view")
SURFACE_KEYS = ("variables", "ranges", "expression", "reduction", "parameters", "minima")
DATA_KEYS = ("columns", "rows", "file", "prediction", "show", "on_map", "standardise")
RUN_KEYS = ("label", "optimizer", "start", "steps", "color", "params", "noise", "schedule", "visible", "batch")
NOISE_KEYS = ("std", "seed")
BATCH_KEYS = ("size", "shuffle", "drop_last", "seed")
MAX_TOLERANCE = 1e100
MAX_COORDINATE = 1e100

_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TYPE_NAMES = {bool: "true/false", int: "an integer", float: "a number", str: "a string", list: "an array",
               dict: "a table"}


def _kind(value: object) -> str:
    for t, name in _TYPE_NAMES.items():
        if isinstance(value, t):
            return name
    return type(value).__name__


def did_you_mean(word: str, choices) -> str:
    """`` (did you mean 'color'?)`` for the closest of ``choices``, or "" (difflib's ratio ≥ 0.6)."""
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


class _Checker:
    """Walks one parsed table; every ``fail`` names the file, the dotted field and the problem."""

    def __init__(self, path: object) -> None:
        self.path = path

    def fail(self, field_: str, problem: str):
        raise PresetError(self.path, field_, problem)

    def table(self, value: object, field_: str, allowed: tuple[str, ...]) -> dict:
        if not isinstance(value, dict):
            self.fail(field_, f"must be a table, not {_kind(value)}")
        for key in value:
            if key not in allowed:
                where = f"{field_}.{key}" if field_ else key
                self.fail(where, f"unknown key '{key}'{did_you_mean(key, allowed)}")
        return value

    def required(self, table: dict, key: str, field_: str):
        if key not in table:
            self.fail(field_, "is missing")
        return table[key]

    def string(self, value: object, field_: str, max_chars: int, *, empty_ok: bool = True) -> str:
        if not isinstance(value, str):
            self.fail(field_, f"must be a string, not {_kind(value)}")
        if not empty_ok and not value.strip():
            self.fail(field_, "must not be empty")
        if len(value) > max_chars:
            self.fail(field_, f"is {len(value):,} characters long; at most {max_chars:,} are allowed")
        return value

    def number(self, value: object, field_: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(field_, f"must be a number, not {_kind(value)}")
        if not math.isfinite(value):
            self.fail(field_, f"must be a finite number, not {value}")
        return float(value)

    def integer(self, value: object, field_: str, low: int, high: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                self.fail(field_, f"must be a whole number written without a decimal point ({int(value)})")
            self.fail(field_, f"must be a whole number, not {_shown(value)}")
        if value < low or (high is not None and value > high):
            limit = f"from {low:,} to {high:,}" if high is not None else f"at least {low:,}"
            self.fail(field_, f"must be {limit}, not {value:,}")
        return value

    def flag(self, value: object, field_: str) -> bool:
        if not isinstance(value, bool):
            self.fail(field_, f"must be true or false, not {_shown(value)}")
        return value

    def point(self, value: object, field_: str, variables: tuple[str, ...]) -> tuple[float, ...]:
        d = len(variables)
        if not isinstance(value, list) or len(value) != d:
            names = ", ".join(variables)
            self.fail(field_, f"must be {d} number{'s' if d > 1 else ''} [{names}], one per variable, "
                              f"not {_shown(value)}")
        out = tuple(self.number(v, f"{field_}[{i}]") for i, v in enumerate(value))
        for i, v in enumerate(out):
            if abs(v) > MAX_COORDINATE:
                self.fail(f"{field_}[{i}]", f"is too large ({v:g}); coordinates must be within ±{MAX_COORDINATE:g}")
        return out

    def interval(self, value: object, field_: str) -> tuple[float, float]:
        if not isinstance(value, list) or len(value) != 2:
            self.fail(field_, f"must be 2 numbers [min, max], not {_shown(value)}")
        low, high = (self.number(v, f"{field_}[{i}]") for i, v in enumerate(value))
        if not low < high:
            self.fail(field_, f"min must be less than max, got [{low}, {high}]")
        if max(abs(low), abs(high)) > MAX_COORDINATE or not math.isfinite(high - low):
            self.fail(field_, f"is too wide; the bounds must be within ±{MAX_COORDINATE:g}")
        return low, high


def _shown(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_preset(data: dict, path: object = "<dict>", *, compile_expression: bool = True,
                 base_dir: str | None = None) -> Preset:
    """Validate a parsed version-2 preset table and build the :class:`Preset`.

    Every field is checked: types, ranges, unknown keys (with a "did you mean" hint), the view settings
    (through :func:`explorer.view_settings.check_view`),
    names of variables, parameters and data columns, optimizer names and hyperparameters (through
    :func:`explorer.optimizers.make_optimizer`), schedules (through :func:`explorer.schedules.make_schedule`),
    noise, minibatches, colours, the data (inline rows, or a CSV ``file`` relative to ``base_dir``), and the
    expression, which is compiled with :func:`explorer.surface.compile_surface` unless ``compile_expression``
    is False. Raises :class:`PresetError` at the first problem.
    """
    c = _Checker(path)
    c.table(data, "", TOP_KEYS)
    title = c.string(c.required(data, "title", "title"), "title", MAX_TITLE_CHARS)
    description = c.string(data.get("description", ""), "description", MAX_DESCRIPTION_CHARS)
    tolerance = c.number(data.get("tolerance", 1e-8), "tolerance")
    if not 0 <= tolerance <= MAX_TOLERANCE:
        c.fail("tolerance", f"must be from 0 (never stop early) to {MAX_TOLERANCE:g}, not {tolerance:g}")
    steps = c.integer(data.get("steps", 500), "steps", 1, MAX_STEPS)
    surface = _check_surface(c, c.required(data, "surface", "surface"))
    dataspec = None if "data" not in data else _check_data(c, data["data"], surface, base_dir)
    runs_data = data.get("runs", [])
    if not isinstance(runs_data, list):
        c.fail("runs", f"must be an array of tables ([[runs]]), not {_kind(runs_data)}")
    if len(runs_data) > MAX_RUNS:
        c.fail("runs", f"has {len(runs_data):,} runs; at most {MAX_RUNS} are allowed")
    runs = tuple(_check_run(c, run, f"runs[{i}]", surface.variables, dataspec) for i, run in enumerate(runs_data))
    total = sum(steps if run.steps is None else run.steps for run in runs)
    if total > MAX_TOTAL_STEPS:
        c.fail("runs", f"the runs' step budgets add up to {total:,} steps; at most {MAX_TOTAL_STEPS:,} are allowed "
                       f"in one comparison (lower steps, or split the comparison)")
    view = data.get("view", {})
    if not isinstance(view, dict):
        c.fail("view", f"must be a table, not {_kind(view)}")
    from explorer.view_settings import check_view

    try:
        check_view(view)
    except ValueError as e:  # "key: problem"
        key, _, problem = str(e).partition(": ")
        c.fail(f"view.{key}", problem or str(e))
    preset = Preset(title=title, description=description, surface=surface, runs=runs, tolerance=tolerance,
                    steps=steps, view=view, data=dataspec, version=VERSION)
    if compile_expression:
        _compile(c, preset)
    return preset


def _check_surface(c: _Checker, data: object) -> SurfaceSpec:
    c.table(data, "surface", SURFACE_KEYS)
    expression = c.string(c.required(data, "expression", "surface.expression"), "surface.expression",
                          MAX_EXPRESSION_CHARS, empty_ok=False)
    raw_vars = data.get("variables", list(DEFAULT_VARIABLES))
    if not isinstance(raw_vars, list) or not all(isinstance(v, str) for v in raw_vars):
        c.fail("surface.variables", f"must be an array of names such as [\"w\", \"b\"], not {_shown(raw_vars)}")
    try:
        variables = check_names(raw_vars, "variable", at_least=1, at_most=MAX_VARIABLES)
    except ExpressionError as e:
        c.fail("surface.variables", e.message)
    ranges_data = c.required(data, "ranges", "surface.ranges")
    if not isinstance(ranges_data, list) or len(ranges_data) != len(variables):
        c.fail("surface.ranges", f"must be {len(variables)} [min, max] pairs, one per variable "
                                 f"({', '.join(variables)}), not {_shown(ranges_data)}")
    ranges = tuple(c.interval(r, f"surface.ranges[{i}]") for i, r in enumerate(ranges_data))
    reduction = data.get("reduction", "mean")
    if reduction not in ("mean", "sum"):
        c.fail("surface.reduction", f"must be \"mean\" or \"sum\", not {_shown(reduction)}")
    raw = data.get("parameters", {})
    if not isinstance(raw, dict):
        c.fail("surface.parameters", f"must be a table of name = value, not {_kind(raw)}")
    parameters = {}
    for name, value in raw.items():
        where = f"surface.parameters.{name}"
        if not _NAME.fullmatch(name) or name in variables:
            c.fail(where, f"'{name}' cannot be a parameter name (use letters, digits and _, not a variable)")
        try:
            check_names([name], "parameter", taken=variables)
        except ExpressionError as e:
            c.fail(where, e.message)
        parameters[name] = c.number(value, where)
    minima = data.get("minima", [])
    if not isinstance(minima, list):
        c.fail("surface.minima", f"must be an array of points (one number per variable), not {_kind(minima)}")
    if len(minima) > 1000:
        c.fail("surface.minima", f"has {len(minima):,} points; at most 1,000 are allowed")
    minima = tuple(c.point(m, f"surface.minima[{i}]", variables) for i, m in enumerate(minima))
    return SurfaceSpec(expression, ranges, parameters, minima, variables, reduction)


def _check_data(c: _Checker, data: object, surface: SurfaceSpec, base_dir: str | None) -> DataSpec:
    c.table(data, "data", DATA_KEYS)
    if ("rows" in data) == ("file" in data):
        c.fail("data", "needs either rows = [[...], ...] (with columns) or file = \"points.csv\", not both")
    if "file" in data:
        if "columns" in data:
            c.fail("data.columns", "comes from the CSV file's header row; leave it out when using file")
        file = c.string(data["file"], "data.file", 500, empty_ok=False)
        if os.path.isabs(file) or base_dir is None:
            target = file if os.path.isabs(file) else None
        else:
            target = os.path.join(base_dir, file)
        if target is None:
            c.fail("data.file", f"'{file}' is a path relative to the preset file, but this preset was not read "
                                f"from a file")
        try:
            dataset = read_csv(target)
        except DataError as e:
            where = ", ".join(p for p in (f"row {e.row}" if e.row else "", f"column '{e.column}'" if e.column else "")
                              if p)
            c.fail("data.file", f"{file}{': ' + where if where else ''}: {e.problem}")
        spec = DataSpec(dataset, os.path.abspath(target))
    else:
        columns = c.required(data, "columns", "data.columns")
        if not isinstance(columns, list) or not all(isinstance(v, str) for v in columns):
            c.fail("data.columns", f"must be an array of column names, not {_shown(columns)}")
        rows = data["rows"]
        if not isinstance(rows, list):
            c.fail("data.rows", f"must be an array of rows [[...], ...], not {_kind(rows)}")
        if len(rows) > MAX_ROWS:
            c.fail("data.rows", f"has {len(rows):,} rows; at most {MAX_ROWS:,} are allowed")
        try:
            dataset = make_dataset(columns, rows)
        except DataError as e:
            field_ = f"data.rows[{e.row - 1}]" if e.row else "data.columns"
            if e.column is not None:
                field_ += f"[{columns.index(e.column)}]"
            c.fail(field_, e.problem)
        spec = DataSpec(dataset)
    clash = [n for n in spec.columns if n in surface.variables or n in surface.parameters]
    if clash:
        c.fail("data.columns", f"'{clash[0]}' is also a variable or parameter name; rename one of them")
    return _check_data_view(c, data, spec, surface)


def _column_list(c: _Checker, value: object, at: str, columns: tuple[str, ...], count: int | None) -> tuple:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or (
            count is not None and len(value) != count):
        want = f"{count} column names" if count else "an array of column names"
        c.fail(at, f"must be {want} like {list(columns[:count or 1])}, not {_shown(value)}")
    for name in value:
        if name not in columns:
            c.fail(at, f"'{name}' is not a data column{did_you_mean(name, columns)}; the columns are "
                       f"{', '.join(columns)}")
    return tuple(value)


def _check_data_view(c: _Checker, data: dict, spec: DataSpec, surface: SurfaceSpec) -> DataSpec:
    """The data pane's settings: prediction formula, shown columns, columns on the map, standardised ones."""
    columns = spec.columns
    prediction = None
    if "prediction" in data:
        prediction = c.string(data["prediction"], "data.prediction", MAX_EXPRESSION_CHARS, empty_ok=False)
        from explorer.data_models import compile_prediction

        try:
            compile_prediction(prediction, surface.variables, tuple(surface.parameters), columns)
        except ExpressionError as e:
            c.fail("data.prediction", f"{e.message} at characters {e.start}–{e.end}")
    show = None if "show" not in data else _column_list(c, data["show"], "data.show", columns, 2)
    on_map = None
    if "on_map" in data:
        on_map = _column_list(c, data["on_map"], "data.on_map", columns, 2)
        if len(surface.variables) != 2:
            c.fail("data.on_map", f"needs a surface of exactly 2 variables to draw the data on its map, not "
                                  f"{len(surface.variables)}")
    standardise = ()
    if "standardise" in data:
        standardise = _column_list(c, data["standardise"], "data.standardise", columns, None)
    return replace(spec, prediction=prediction, show=show, on_map=on_map, standardise=standardise)


def _compile(c: _Checker, preset: Preset) -> None:
    expression = preset.surface.expression
    try:
        check_defined(preset.build_surface(), preset.surface.ranges)
    except ExpressionError as e:
        start, end = e.start, max(e.end, e.start + 1)
        excerpt = expression[start:end] if e.end > e.start or e.start < len(expression) else ""
        where = f" at characters {start}–{end}" + (f" ('{_shown(excerpt, 30)[1:-1]}')" if excerpt else "")
        c.fail("surface.expression", f"{e.message}{where}")
    except Exception as e:  # untrusted input: any failure of the compiler refuses the file
        c.fail("surface.expression", f"cannot be compiled: {e}")


def _check_run(c: _Checker, data: object, at: str, variables: tuple[str, ...] = DEFAULT_VARIABLES,
               dataspec: DataSpec | None = None) -> RunSpec:
    from explorer.optimizers import OPTIMIZERS

    c.table(data, at, RUN_KEYS)
    name = c.string(c.required(data, "optimizer", f"{at}.optimizer"), f"{at}.optimizer", 50, empty_ok=False)
    if name not in OPTIMIZERS:
        c.fail(f"{at}.optimizer",
               f"unknown optimizer '{name}'{did_you_mean(name, OPTIMIZERS)}; known: {', '.join(OPTIMIZERS)}")
    label = c.string(data.get("label", name), f"{at}.label", MAX_LABEL_CHARS, empty_ok=False)
    start = c.point(c.required(data, "start", f"{at}.start"), f"{at}.start", variables)
    steps = None if "steps" not in data else c.integer(data["steps"], f"{at}.steps", 1, MAX_STEPS)
    color = None
    if "color" in data:
        color = c.string(data["color"], f"{at}.color", 7)
        if not _COLOR.fullmatch(color):
            c.fail(f"{at}.color", f"must be a colour written as \"#rrggbb\", not {color!r}")
    visible = c.flag(data.get("visible", True), f"{at}.visible")
    params = _check_params(c, name, data.get("params", {}), f"{at}.params")
    noise = None if "noise" not in data else _check_noise(c, data["noise"], f"{at}.noise")
    schedule = None if "schedule" not in data else _check_schedule(c, data["schedule"], f"{at}.schedule")
    batch = None if "batch" not in data else _check_batch(c, data["batch"], f"{at}.batch", dataspec)
    return RunSpec(label=label, optimizer=name, start=start, params=params, steps=steps, color=color,
                   noise=noise, schedule=schedule, visible=visible, batch=batch)


def _check_batch(c: _Checker, data: object, at: str, dataspec: DataSpec | None) -> Batch:
    c.table(data, at, BATCH_KEYS)
    if dataspec is None:
        c.fail(at, "minibatches need data: add a [data] table, or remove batch")
    size = c.integer(c.required(data, "size", f"{at}.size"), f"{at}.size", 1, MAX_ROWS)
    shuffle = c.flag(data.get("shuffle", True), f"{at}.shuffle")
    drop_last = c.flag(data.get("drop_last", False), f"{at}.drop_last")
    seed = c.integer(data.get("seed", 0), f"{at}.seed", 0, 2**32 - 1)
    n = len(dataspec.dataset)
    if drop_last and size > n:
        c.fail(f"{at}.size", f"is larger than the {n} data rows with drop_last = true: every epoch would be empty")
    return Batch(size=size, shuffle=shuffle, drop_last=drop_last, seed=seed)


def _plain_value(c: _Checker, value: object, at: str):
    """A hyperparameter or schedule value: number, bool, string or array of numbers (arrays -> tuples)."""
    if isinstance(value, bool) or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        c.number(value, at)
        return value
    if isinstance(value, list):
        return tuple(c.number(v, f"{at}[{i}]") for i, v in enumerate(value))
    c.fail(at, f"must be a number, true/false, a string or an array of numbers, not {_kind(value)}")


def _check_params(c: _Checker, name: str, data: object, at: str) -> dict:
    from explorer.optimizers import make_optimizer

    if not isinstance(data, dict):
        c.fail(at, f"must be a table of hyperparameters, not {_kind(data)}")
    params = {key: _plain_value(c, value, f"{at}.{key}") for key, value in data.items()}
    defaults = make_optimizer(name).hyperparams
    known = tuple(defaults)
    for key in params:
        if key not in known:
            c.fail(f"{at}.{key}", f"'{name}' has no hyperparameter '{key}'{did_you_mean(key, known)}; "
                                  f"its hyperparameters are {', '.join(known)}")
        default = defaults[key]
        if isinstance(params[key], tuple) and not isinstance(default, tuple):
            c.fail(f"{at}.{key}", f"must be a single value like {default!r}, not an array")
        if isinstance(default, tuple) and not (isinstance(params[key], tuple) and len(params[key]) == len(default)):
            c.fail(f"{at}.{key}", f"must be an array of {len(default)} numbers like {list(default)}, "
                                  f"not {_shown(params[key])}")
    try:
        make_optimizer(name, **params)
    except (ValueError, TypeError) as e:
        # Blame the first hyperparameter that is wrong on its own; otherwise the combination.
        for key, value in params.items():
            try:
                make_optimizer(name, **{key: value})
            except (ValueError, TypeError) as single:
                c.fail(f"{at}.{key}", str(single))
        c.fail(at, str(e))
    return params


def _check_noise(c: _Checker, data: object, at: str) -> Noise:
    c.table(data, at, NOISE_KEYS)
    std = c.number(data.get("std", 0.0), f"{at}.std")
    if std < 0:
        c.fail(f"{at}.std", f"must be at least 0, not {std}")
    seed = c.integer(data.get("seed", 0), f"{at}.seed", 0, 2**32 - 1)
    return Noise(std=std, seed=seed)


def _check_schedule(c: _Checker, data: object, at: str) -> Schedule:
    from explorer.schedules import make_schedule

    if not isinstance(data, dict):
        c.fail(at, f"must be a table like {{ kind = \"cosine\", T_max = 500 }}, not {_kind(data)}")
    kind = c.string(c.required(data, "kind", f"{at}.kind"), f"{at}.kind", 50, empty_ok=False)
    args = {key: _plain_value(c, value, f"{at}.{key}") for key, value in data.items() if key != "kind"}
    schedule = Schedule(kind=kind, args=args)
    try:
        make_schedule(schedule)
    except (ValueError, TypeError) as e:
        message = str(e)
        # Point at the argument the message names, if any; an unknown kind is the kind's fault.
        named = [key for key in args if re.search(rf"\b{re.escape(key)}\b", message)]
        c.fail(f"{at}.{named[0]}" if named else (f"{at}.kind" if kind in message else at), message)
    return schedule
