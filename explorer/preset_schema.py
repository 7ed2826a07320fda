"""What a preset is, what a valid one looks like, and the error that says exactly what is wrong.

A preset is one saved comparison: a surface (formula, view ranges, parameter values, known minima), the
runs that race on it, and free-form view settings. :mod:`explorer.preset` reads and writes it as TOML
(format ``gradient-descent-explorer/preset``, version 1); :func:`preset_from_dict` here checks the parsed
table field by field and builds the immutable :class:`Preset`.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from typing import Any

from explorer.expression import MAX_LENGTH as MAX_EXPRESSION_CHARS
from explorer.expression import ExpressionError
from explorer.runs import Noise, RunSpec, Schedule
from explorer.surface import compile_surface

FORMAT = "gradient-descent-explorer/preset"
VERSION = 1

# Limits that keep a hostile or mistyped file from hanging or exhausting the app.
MAX_FILE_BYTES = 1_000_000
MAX_STEPS = 100_000
MAX_RUNS = 100
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

    expression : formula in x, y and the parameter names (see :mod:`explorer.expression`).
    x_range, y_range : (min, max) of the view, min < max.
    parameters : name -> value for the other names in the expression.
    minima : known minima ((x, y), ...) — used for "distance to the nearest known minimum"; may be empty.
    """

    expression: str
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    parameters: dict[str, float] = field(default_factory=dict)
    minima: tuple[tuple[float, ...], ...] = ()


@dataclass(frozen=True)
class Preset:
    """One comparison: a surface, the runs racing on it and how to show them.

    tolerance : gradient-norm stop, ‖∇f‖₂ ≤ tolerance (0 = never stop early).
    steps : step budget of runs whose own ``steps`` is None.
    view : free-form settings the app owns (camera, overlays, current step, colour scale); TOML values only.
    version : the format version the data is in after migration (always :data:`VERSION`).
    """

    title: str
    description: str
    surface: SurfaceSpec
    runs: tuple[RunSpec, ...] = ()
    tolerance: float = 1e-8
    steps: int = 500
    view: dict[str, Any] = field(default_factory=dict)
    version: int = VERSION


# ---------------------------------------------------------------------------------------------------------
# Validation of a parsed (already migrated) version-1 table.

TOP_KEYS = ("format", "version", "title", "description", "tolerance", "steps", "surface", "runs", "view")
SURFACE_KEYS = ("expression", "x_range", "y_range", "parameters", "minima")
RUN_KEYS = ("label", "optimizer", "start", "steps", "color", "params", "noise", "schedule", "visible")
NOISE_KEYS = ("std", "seed")

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

    def point(self, value: object, field_: str) -> tuple[float, ...]:
        if not isinstance(value, list) or len(value) != 2:
            self.fail(field_, f"must be 2 numbers [x, y], not {_shown(value)}")
        return tuple(self.number(v, f"{field_}[{i}]") for i, v in enumerate(value))

    def interval(self, value: object, field_: str) -> tuple[float, float]:
        if not isinstance(value, list) or len(value) != 2:
            self.fail(field_, f"must be 2 numbers [min, max], not {_shown(value)}")
        low, high = (self.number(v, f"{field_}[{i}]") for i, v in enumerate(value))
        if not low < high:
            self.fail(field_, f"min must be less than max, got [{low}, {high}]")
        return low, high


def _shown(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_preset(data: dict, path: object = "<dict>", *, compile_expression: bool = True) -> Preset:
    """Validate a parsed version-1 preset table and build the :class:`Preset`.

    Every field is checked: types, ranges, unknown keys (with a "did you mean" hint, except under ``view``),
    optimizer names and hyperparameters (through :func:`explorer.optimizers.make_optimizer`), schedules
    (through :func:`explorer.schedules.make_schedule`), noise, colours, and the expression, which is
    compiled with :func:`explorer.surface.compile_surface` unless ``compile_expression`` is False.
    Raises :class:`PresetError` at the first problem.
    """
    c = _Checker(path)
    c.table(data, "", TOP_KEYS)
    title = c.string(c.required(data, "title", "title"), "title", MAX_TITLE_CHARS)
    description = c.string(data.get("description", ""), "description", MAX_DESCRIPTION_CHARS)
    tolerance = c.number(data.get("tolerance", 1e-8), "tolerance")
    if tolerance < 0:
        c.fail("tolerance", f"must be at least 0 (0 = never stop early), not {tolerance}")
    steps = c.integer(data.get("steps", 500), "steps", 1, MAX_STEPS)
    surface = _check_surface(c, c.required(data, "surface", "surface"), compile_expression)
    runs_data = data.get("runs", [])
    if not isinstance(runs_data, list):
        c.fail("runs", f"must be an array of tables ([[runs]]), not {_kind(runs_data)}")
    if len(runs_data) > MAX_RUNS:
        c.fail("runs", f"has {len(runs_data):,} runs; at most {MAX_RUNS} are allowed")
    runs = tuple(_check_run(c, run, f"runs[{i}]") for i, run in enumerate(runs_data))
    view = data.get("view", {})
    if not isinstance(view, dict):
        c.fail("view", f"must be a table, not {_kind(view)}")
    return Preset(title=title, description=description, surface=surface, runs=runs, tolerance=tolerance,
                  steps=steps, view=view, version=VERSION)


def _check_surface(c: _Checker, data: object, compile_expression: bool) -> SurfaceSpec:
    c.table(data, "surface", SURFACE_KEYS)
    expression = c.string(c.required(data, "expression", "surface.expression"), "surface.expression",
                          MAX_EXPRESSION_CHARS, empty_ok=False)
    x_range = c.interval(c.required(data, "x_range", "surface.x_range"), "surface.x_range")
    y_range = c.interval(c.required(data, "y_range", "surface.y_range"), "surface.y_range")
    raw = data.get("parameters", {})
    if not isinstance(raw, dict):
        c.fail("surface.parameters", f"must be a table of name = value, not {_kind(raw)}")
    parameters = {}
    for name, value in raw.items():
        where = f"surface.parameters.{name}"
        if not _NAME.fullmatch(name) or name in ("x", "y"):
            c.fail(where, f"'{name}' cannot be a parameter name (use letters, digits and _, not x or y)")
        parameters[name] = c.number(value, where)
    minima = data.get("minima", [])
    if not isinstance(minima, list):
        c.fail("surface.minima", f"must be an array of [x, y] points, not {_kind(minima)}")
    minima = tuple(c.point(m, f"surface.minima[{i}]") for i, m in enumerate(minima))
    if compile_expression:
        _compile(c, expression, parameters)
    return SurfaceSpec(expression, x_range, y_range, parameters, minima)


def _compile(c: _Checker, expression: str, parameters: dict[str, float]) -> None:
    try:
        compile_surface(expression, parameters)
    except ExpressionError as e:
        start, end = e.start, max(e.end, e.start + 1)
        excerpt = expression[start:end]
        where = f" at characters {start}–{end}" + (f" ('{_shown(excerpt, 30)[1:-1]}')" if excerpt else "")
        c.fail("surface.expression", f"{e.message}{where}")
    except Exception as e:  # untrusted input: any failure of the compiler refuses the file
        c.fail("surface.expression", f"cannot be compiled: {e}")


def _check_run(c: _Checker, data: object, at: str) -> RunSpec:
    from explorer.optimizers import OPTIMIZERS

    c.table(data, at, RUN_KEYS)
    name = c.string(c.required(data, "optimizer", f"{at}.optimizer"), f"{at}.optimizer", 50, empty_ok=False)
    if name not in OPTIMIZERS:
        c.fail(f"{at}.optimizer",
               f"unknown optimizer '{name}'{did_you_mean(name, OPTIMIZERS)}; known: {', '.join(OPTIMIZERS)}")
    label = c.string(data.get("label", name), f"{at}.label", MAX_LABEL_CHARS, empty_ok=False)
    start = c.point(c.required(data, "start", f"{at}.start"), f"{at}.start")
    steps = None if "steps" not in data else c.integer(data["steps"], f"{at}.steps", 1, MAX_STEPS)
    color = None
    if "color" in data:
        color = c.string(data["color"], f"{at}.color", 7)
        if not _COLOR.fullmatch(color):
            c.fail(f"{at}.color", f"must be a colour written as \"#rrggbb\", not {color!r}")
    visible = data.get("visible", True)
    if not isinstance(visible, bool):
        c.fail(f"{at}.visible", f"must be true or false, not {_kind(visible)}")
    params = _check_params(c, name, data.get("params", {}), f"{at}.params")
    noise = None if "noise" not in data else _check_noise(c, data["noise"], f"{at}.noise")
    schedule = None if "schedule" not in data else _check_schedule(c, data["schedule"], f"{at}.schedule")
    return RunSpec(label=label, optimizer=name, start=start, params=params, steps=steps, color=color,
                   noise=noise, schedule=schedule, visible=visible)


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
    known = tuple(make_optimizer(name).hyperparams)
    for key in params:
        if key not in known:
            c.fail(f"{at}.{key}", f"'{name}' has no hyperparameter '{key}'{did_you_mean(key, known)}; "
                                  f"its hyperparameters are {', '.join(known)}")
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
