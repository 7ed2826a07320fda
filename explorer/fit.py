"""The model's fit to its data at one point of a run: what the data pane draws (no Qt here).

A comparison with data has a per-example loss over some columns and, optionally, a *prediction* formula
(:class:`~explorer.preset_schema.DataSpec`). :func:`describe` reads both and decides how the data pane shows
the fit on its two chosen columns (horizontal h, vertical v):

- ``"curve"``: the prediction uses h (and maybe other inputs, held at their mean for the curve) and v is what
  it predicts: the curve of the prediction over h, and each row's residual as a vertical segment from its
  point to its own prediction (a line for linear regression, a sigmoid for logistic regression);
- ``"boundary"``: the prediction uses both h and v: its 0.5 level set (a probability) is the decision
  boundary, the points are coloured by the target;
- ``"map"``: h and v are coordinates in the plane of the two variables (``on_map``, the depot): the racer's
  point is the model, and the segments join it to every data point;
- ``"points"``: no prediction to draw: the points alone.

Columns the loss sees standardised (``DataSpec.standardise``) are drawn as given (raw): :class:`Scaling`
maps raw values to what the prediction sees, and a standardised target back.

The one-click models (:data:`explorer.data_models.TEMPLATES`) get ranges and a start that suit the data:
:func:`template_setup`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from explorer.data import Dataset

PROBABILITY_LEVEL = 0.5


@dataclass(frozen=True)
class Scaling:
    """Per column (mean, sd) of the standardised columns of the raw data (population sd, as
    :meth:`explorer.data.Dataset.standardised`; sd 1 for a constant column)."""

    stats: Mapping[str, tuple[float, float]] = field(default_factory=dict)

    @classmethod
    def of(cls, spec) -> Scaling:
        stats = {}
        for name in getattr(spec, "standardise", ()) or ():
            col = spec.dataset.column(name)
            sd = float(col.std()) if col.size else 1.0
            stats[name] = (float(col.mean()) if col.size else 0.0, sd if sd > 0 else 1.0)
        return cls(stats)

    def to_model(self, name: str, raw) -> np.ndarray:
        mean, sd = self.stats.get(name, (0.0, 1.0))
        return (np.asarray(raw, dtype=float) - mean) / sd

    def to_raw(self, name: str, value) -> np.ndarray:
        mean, sd = self.stats.get(name, (0.0, 1.0))
        return np.asarray(value, dtype=float) * sd + mean


@dataclass(frozen=True)
class FitLayout:
    """How the data pane draws a comparison's data (see the module docstring).

    kind : "curve" | "boundary" | "map" | "points". shown : (h, v) column names.
    prediction : the compiled :class:`~explorer.data_models.Prediction`, or None.
    targets : loss columns the prediction does not use (what it predicts), in data order.
    colour_by : the column that colours the points (the target of a "boundary"), or None.
    note : why no fit is drawn, in the user's words ("" when it is).
    """

    kind: str
    shown: tuple[str, str]
    prediction: object = None
    targets: tuple[str, ...] = ()
    colour_by: str | None = None
    note: str = ""


def describe(spec, surface) -> FitLayout:
    """The :class:`FitLayout` for DataSpec ``spec`` and the comparison's ``surface``."""
    from explorer.data_models import compile_prediction
    from explorer.expression import ExpressionError

    h, v = spec.shown
    loss_columns = tuple(getattr(surface, "columns", ()) or ())
    variables = tuple(getattr(surface, "variable_names", ()) or ())
    if spec.on_map is not None and set(spec.on_map) == {h, v} and len(variables) == 2:
        return FitLayout("map", (h, v))
    if spec.prediction is None:
        return FitLayout("points", (h, v), note="no prediction formula: the points alone")
    try:
        prediction = compile_prediction(spec.prediction, variables, tuple(surface.parameters), spec.columns)
    except ExpressionError as e:
        return FitLayout("points", (h, v), note=f"the prediction cannot be drawn: {e.message}")
    targets = tuple(c for c in spec.columns if c in loss_columns and c not in prediction.inputs)
    if spec.show is None and prediction.inputs and targets:   # by default: the first input against the target
        h, v = prediction.inputs[0], targets[0]
    if h in prediction.inputs and v in prediction.inputs:
        label = targets[0] if targets else None
        if label is not None and binary(spec.dataset.column(label)):
            return FitLayout("boundary", (h, v), prediction, targets, label)
        return FitLayout("points", (h, v), prediction, targets,
                         note=f"the prediction uses both {h} and {v}: choose what it predicts as the vertical column")
    if h in prediction.inputs:
        others = [c for c in prediction.inputs if c != h]
        note = (f"the line holds {', '.join(others)} at {'their' if len(others) > 1 else 'its'} mean; each "
                "residual uses its row's own values") if others else ""
        return FitLayout("curve", (h, v), prediction, targets, note=note)
    return FitLayout("points", (h, v), prediction, targets,
                     note=f"the prediction does not use {h}: choose it as the horizontal column")


def _model_columns(spec, scaling: Scaling, rows: Dataset | None = None) -> dict[str, np.ndarray]:
    rows = spec.dataset if rows is None else rows
    return {c: scaling.to_model(c, rows.column(c)) for c in rows.columns}


def predictions(layout: FitLayout, spec, theta, parameters) -> np.ndarray:
    """(n,) each row's prediction at ``theta``, in the vertical column's units as given (nan where undefined)."""
    scaling = Scaling.of(spec)
    out = layout.prediction(theta, parameters, _model_columns(spec, scaling))
    return scaling.to_raw(layout.shown[1], out) if layout.shown[1] in scaling.stats else out


def curve(layout: FitLayout, spec, theta, parameters, xs) -> np.ndarray:
    """The prediction along ``xs`` (raw values of the horizontal column), other inputs at their mean."""
    scaling = Scaling.of(spec)
    h, v = layout.shown
    xs = np.asarray(xs, dtype=float)
    cols = {}
    for c in layout.prediction.inputs:
        if c == h:
            cols[c] = scaling.to_model(c, xs)
        else:
            raw = spec.dataset.column(c)
            cols[c] = np.full(xs.shape, float(scaling.to_model(c, raw.mean() if raw.size else 0.0)))
    out = layout.prediction(theta, parameters, cols) if cols else np.full(xs.shape, np.nan)
    return scaling.to_raw(v, out) if v in scaling.stats else out


def boundary_grid(layout: FitLayout, spec, theta, parameters, xs, ys) -> np.ndarray:
    """(len(ys), len(xs)) the prediction on a grid of the two shown columns (raw values), others at their
    mean; its :data:`PROBABILITY_LEVEL` level set is the decision boundary."""
    scaling = Scaling.of(spec)
    h, v = layout.shown
    X, Y = np.meshgrid(np.asarray(xs, dtype=float), np.asarray(ys, dtype=float))
    cols = {}
    for c in layout.prediction.inputs:
        if c == h:
            cols[c] = scaling.to_model(c, X)
        elif c == v:
            cols[c] = scaling.to_model(c, Y)
        else:
            raw = spec.dataset.column(c)
            cols[c] = np.full(X.shape, float(scaling.to_model(c, raw.mean() if raw.size else 0.0)))
    return layout.prediction(theta, parameters, cols)


def scalable_inputs(prediction: str, variables, parameter_names, columns) -> tuple[str, ...]:
    """The prediction's inputs that enter it linearly (``w*x + b``, ``sigmoid(w1*x1 + w2*x2 + b)``): the ones
    "standardise features" may rescale without changing what the model can express. An input inside a
    nonlinear function of its own (``ln(100/strike)``) is left alone; () when the text does not parse."""
    import sympy

    from explorer.expression import ExpressionError, parse_expression, symbol

    try:
        expr = parse_expression(prediction, tuple(parameter_names), variables=tuple(variables),
                                columns=tuple(columns))
    except ExpressionError:
        return ()
    parents: dict = {}   # symbol -> set of the types of the nodes that hold it directly

    def walk(node) -> None:
        for arg in node.args:
            if isinstance(arg, sympy.Symbol):
                parents.setdefault(arg, set()).add(type(node))
            else:
                walk(arg)

    walk(expr)
    linear = (sympy.Mul, sympy.Add)
    return tuple(name for name in columns
                 if symbol(name) in parents and all(issubclass(t, linear) for t in parents[symbol(name)]))


def binary(values) -> bool:
    """True when every value is 0 or 1 (a label)."""
    v = np.asarray(values, dtype=float)
    return v.size > 0 and bool(np.all((v == 0) | (v == 1)))


# ---------------------------------------------------------------------------------------------------------
# The one-click models, fitted to the data they are applied to.

@dataclass(frozen=True)
class TemplateSetup:
    """Everything a one-click model sets: variables, per-example loss, prediction, shown and on-map columns,
    one (low, high) range per variable, and a start for the runs."""

    variables: tuple[str, ...]
    expression: str
    prediction: str | None
    show: tuple[str, str]
    on_map: tuple[str, str] | None
    ranges: tuple[tuple[float, float], ...]
    start: tuple[float, ...]


def _nice(value: float) -> float:
    """``value`` rounded to two significant digits (ranges a person reads)."""
    if value == 0 or not np.isfinite(value):
        return 0.0
    digits = 1 - int(np.floor(np.log10(abs(value))))
    return float(round(value, digits))


def _box(centre: Sequence[float], half: Sequence[float]) -> tuple[tuple[float, float], ...]:
    """(low, high) per coordinate, rounded to a tenth of the half-width's leading digit."""
    out = []
    for c, h in zip(centre, half, strict=True):
        step = 10.0 ** np.floor(np.log10(h)) / 10
        low, high = np.floor((c - h) / step) * step, np.ceil((c + h) / step) * step
        out.append((round(float(low), 12), round(float(high), 12)))
    return tuple(out)


def template_setup(key: str, dataset: Dataset, x: str, y: str, standardise: Sequence[str] = ()) -> TemplateSetup:
    """Apply the one-click model ``key`` to input column ``x`` and target (or second coordinate) ``y``.

    The view is centred on the model's best fit to these data (least squares for "linear", a few Newton
    steps on the log-loss for "logistic", the points' bounding box for "distance"), wide enough to show the
    bowl around it, and the runs start in a corner of it. ``standardise`` : columns the loss sees
    standardised (the fit is found on those values).
    """
    from explorer.data_models import template

    t = template(key).apply(x, y)
    rows = dataset.standardised([c for c in standardise if c in dataset.columns]) if standardise else dataset
    xs, ys = rows.column(x), rows.column(y)
    ok = np.isfinite(xs) & np.isfinite(ys)
    xs, ys = xs[ok], ys[ok]
    if key == "distance":
        lo = np.array([xs.min(), ys.min()]) if xs.size else np.zeros(2)
        hi = np.array([xs.max(), ys.max()]) if xs.size else np.ones(2)
        centre, half = (lo + hi) / 2, np.full(2, max(float(np.max(hi - lo)) * 0.6, 1.0))
        ranges = _box(centre, half)
        (x0, x1), (y0, y1) = ranges
        start = (x0 + 0.1 * (x1 - x0), y0 + 0.1 * (y1 - y0))
    else:
        sx = float(xs.std()) if xs.size > 1 and xs.std() > 0 else 1.0
        mx = float(xs.mean()) if xs.size else 0.0
        if key == "linear":
            w, b = _least_squares(xs, ys)
            sy = float(ys.std()) if ys.size > 1 and ys.std() > 0 else 1.0
            half_w = max(1.5 * abs(w), 2.0 * sy / sx)
        else:
            w, b = _logistic_fit(xs, ys)
            half_w = max(1.5 * abs(w), 3.0 / sx)
        half_b = max(1.5 * abs(b), abs(mx) * half_w, 2.0)
        ranges = _box((w, b), (half_w, half_b))
        (w0, w1), (b0, b1) = ranges
        start = (w0 + 0.15 * (w1 - w0), b1 - 0.15 * (b1 - b0))
    start = tuple(_nice(s) for s in start)
    start = tuple(min(max(s, lo), hi) for s, (lo, hi) in zip(start, ranges, strict=True))
    return TemplateSetup(tuple(t["variables"]), t["expression"], t["prediction"], tuple(t["show"]),
                         t["on_map"], ranges, start)


def _least_squares(xs: np.ndarray, ys: np.ndarray) -> tuple[float, float]:
    if xs.size < 2 or not xs.std() > 0:
        return 0.0, float(ys.mean()) if ys.size else 0.0
    w, b = np.polyfit(xs, ys, 1)
    return float(w), float(b)


def _logistic_fit(xs: np.ndarray, ys: np.ndarray, ridge: float = 1e-3, steps: int = 25) -> tuple[float, float]:
    """Newton's method on the mean log-loss with a small ridge (separable data keep finite weights)."""
    if xs.size == 0:
        return 0.0, 0.0
    X = np.column_stack([xs, np.ones_like(xs)])
    theta = np.zeros(2)
    n = xs.size
    for _ in range(steps):
        with np.errstate(all="ignore"):
            p = 1.0 / (1.0 + np.exp(-(X @ theta)))
        g = X.T @ (p - ys) / n + ridge * theta
        H = (X * (p * (1 - p))[:, None]).T @ X / n + ridge * np.eye(2)
        try:
            step = np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            break
        theta = theta - step
        if not np.all(np.isfinite(theta)):
            return 0.0, 0.0
        if np.max(np.abs(step)) < 1e-10:
            break
    return float(theta[0]), float(theta[1])


# ---------------------------------------------------------------------------------------------------------
# Points added or moved on the pane (or on the map): what the other columns hold.

def snapped(dataset: Dataset, column: str, value: float) -> float:
    """``value`` for ``column``: rounded to 0 or 1 when the column is a label (every value 0 or 1)."""
    if binary(dataset.column(column)):
        return float(value >= 0.5)
    return float(value)


def moved_row(dataset: Dataset, i: int, shown: tuple[str, str], h_value: float, v_value: float) -> np.ndarray:
    """Row ``i`` with its two shown columns set to the dragged position (labels stay 0 or 1)."""
    row = dataset.rows[i].copy()
    h, v = shown
    row[dataset.columns.index(h)] = snapped(dataset, h, h_value)
    row[dataset.columns.index(v)] = snapped(dataset, v, v_value)
    return row


def new_row(dataset: Dataset, shown: tuple[str, str], h_value: float, v_value: float,
            spans: tuple[float, float] = (1.0, 1.0)) -> np.ndarray:
    """A row for a point clicked at (h_value, v_value): the other columns copy the nearest point (distance
    measured in units of ``spans``, the visible width and height), labels stay 0 or 1."""
    h, v = shown
    if len(dataset):
        dh = (dataset.column(h) - h_value) / max(spans[0], 1e-300)
        dv = (dataset.column(v) - v_value) / max(spans[1], 1e-300)
        row = dataset.rows[int(np.argmin(dh * dh + dv * dv))].copy()
    else:
        row = np.zeros(len(dataset.columns))
    row[dataset.columns.index(h)] = snapped(dataset, h, h_value) if len(dataset) else h_value
    row[dataset.columns.index(v)] = snapped(dataset, v, v_value) if len(dataset) else v_value
    return row
