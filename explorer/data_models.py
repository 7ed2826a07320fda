"""The model behind a loss over data: its prediction as a formula, and the common models as one click.

A per-example loss such as ``(w*x + b - y)^2`` compares a *prediction* (``w*x + b``) with a target. The data
pane draws the selected racer's prediction at the current step over the data; :func:`compile_prediction`
turns the preset's formula into a function of the parameters being optimised and the data columns.

:data:`TEMPLATES` are the models a learner meets first, each ready to apply to chosen columns:
linear regression with the mean squared error, logistic regression with the log-loss (labels 0/1), and
"distance to points" (a depot that minimises the total distance to its customers: the data live in the
plane of the two variables).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import sympy

from explorer.expression import ExpressionError, parse_expression, symbol

__all__ = ["Prediction", "ModelTemplate", "TEMPLATES", "compile_prediction", "prediction_fits", "template"]


@dataclass(frozen=True)
class Prediction:
    """The model's output for given parameters, on many examples at once.

    text : the formula. inputs : the data columns it uses. variables, parameter_names : its other names.
    """

    text: str
    variables: tuple[str, ...]
    parameter_names: tuple[str, ...]
    inputs: tuple[str, ...]
    _fn: Callable

    def __call__(self, theta: Sequence[float], parameters: Mapping[str, float],
                 columns: Mapping[str, np.ndarray]) -> np.ndarray:
        """theta : (d,) the variables' values; columns : name -> (n,) array (broadcastable) for every input.

        Returns (n,) float64, nan where the formula is undefined.
        """
        args = [*map(float, theta), *(float(parameters.get(p, 1.0)) for p in self.parameter_names),
                *(np.asarray(columns[c], dtype=float) for c in self.inputs)]
        shape = np.broadcast_shapes(*(np.shape(a) for a in args[len(theta) + len(self.parameter_names):])) \
            if self.inputs else ()
        with np.errstate(all="ignore"):
            out = np.asarray(self._fn(*args))
        if np.iscomplexobj(out):
            out = np.where(np.abs(out.imag) <= 1e-12 * np.maximum(np.abs(out.real), 1.0), out.real, np.nan)
        return np.broadcast_to(out.astype(np.float64, copy=False), shape).copy()


def compile_prediction(text: str, variables: Sequence[str], parameter_names: Sequence[str],
                       columns: Sequence[str]) -> Prediction:
    """Parse (with the same whitelist parser as surfaces) and compile a prediction formula.

    Raises :class:`ExpressionError` for text that does not parse or uses a name that is none of the
    variables, parameters and columns.
    """
    expr = parse_expression(text, tuple(parameter_names), variables=tuple(variables), columns=tuple(columns))
    used = {s.name for s in expr.free_symbols}
    inputs = tuple(c for c in columns if c in used)
    params = tuple(p for p in parameter_names if p in used)
    args = [symbol(n) for n in (*variables, *params, *inputs)]
    fn = sympy.lambdify(args, expr, modules=["scipy", "numpy"], dummify=True, docstring_limit=0)
    return Prediction(text, tuple(variables), params, inputs, fn)


def prediction_fits(text: str, variables: Sequence[str], parameter_names: Sequence[str],
                    columns: Sequence[str]) -> bool:
    """True when :func:`compile_prediction` accepts ``text`` with these names (the formula field may have
    changed the variables since the prediction was written)."""
    try:
        compile_prediction(text, variables, parameter_names, columns)
    except ExpressionError:
        return False
    return True


@dataclass(frozen=True)
class ModelTemplate:
    """A ready-made model: variables, per-example loss, prediction, and how to show it.

    Fields use ``{x}``/``{y}`` for the chosen input and target columns (see :meth:`apply`).
    """

    key: str
    title: str
    description: str
    variables: tuple[str, ...]
    loss: str
    prediction: str | None
    ranges: tuple[tuple[float, float], ...]
    start: tuple[float, ...]
    on_map: bool = False

    def apply(self, x: str, y: str) -> dict:
        """The surface and data settings for input column ``x`` and target (or second coordinate) ``y``."""
        fill = {"x": x, "y": y}
        return {
            "variables": self.variables,
            "expression": self.loss.format(**fill),
            "prediction": None if self.prediction is None else self.prediction.format(**fill),
            "show": (x, y),
            "on_map": (x, y) if self.on_map else None,
            "ranges": self.ranges,
            "start": self.start,
        }


TEMPLATES: dict[str, ModelTemplate] = {t.key: t for t in (
    ModelTemplate("linear", "Linear regression (mean squared error)",
                  "A line w·x + b through the points; the loss is the squared vertical distance.",
                  ("w", "b"), "(w*{x} + b - {y})^2", "w*{x} + b", ((-3.0, 3.0), (-3.0, 3.0)), (-2.0, 2.0)),
    ModelTemplate("logistic", "Logistic regression (log-loss, labels 0 and 1)",
                  "The probability sigmoid(w·x + b) that the label is 1; the loss is -log of the probability "
                  "given to the true label.",
                  ("w", "b"), "softplus(-(2*{y} - 1)*(w*{x} + b))", "sigmoid(w*{x} + b)",
                  ((-4.0, 4.0), (-4.0, 4.0)), (-3.0, 3.0)),
    ModelTemplate("distance", "Distance to points (the depot)",
                  "A point (u, v) whose total straight-line distance to the data points is smallest.",
                  ("u", "v"), "sqrt((u - {x})^2 + (v - {y})^2)", None, ((-5.0, 5.0), (-5.0, 5.0)), (4.0, 4.0),
                  on_map=True),
)}


def template(key: str) -> ModelTemplate:
    try:
        return TEMPLATES[key]
    except KeyError:
        raise ExpressionError(f"unknown model {key!r}; choose one of {', '.join(TEMPLATES)}", 0, 0) from None
