"""What the view of a function of one variable draws: the curve f(x), the tangent line at a point and a step
taken as a move along x.

For one variable the picture every calculus course starts with replaces the contour map: the graph of f,
each racer a ball on it, the tangent at the ball

    t(x) = f(x₀) + f′(x₀)(x − x₀)          (slope f′(x₀), the derivative)

and the step from x_k to x_{k+1} drawn as a horizontal move Δx = x_{k+1} − x_k. For plain gradient descent
Δx = −lr · f′(x_k): the step is the slope scaled by the learning rate and turned downhill; on a parabola with
curvature f″ it multiplies the distance to the minimum by (1 − lr·f″), so it converges iff lr < 2/f″ (see
:mod:`explorer.geometry`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explorer.summary import for_people


def _equals(value: float) -> str:
    """"= 6", or "≈ 0" for round-off (not "= ≈ 0")."""
    text = for_people(value)
    return text if text.startswith("≈") else "= " + text

__all__ = ["sample_curve", "Tangent", "tangent_line", "StepMove", "step_move"]

MAX_CURVE_POINTS = 100_000


def _one_variable(surface) -> None:
    if surface.ndim != 1:
        raise ValueError(f"the curve view needs a surface of one variable, this one has {surface.ndim}")


def sample_curve(surface, x_range, n: int = 801) -> tuple[np.ndarray, np.ndarray]:
    """The graph of f: xs (n,) evenly over ``x_range`` and f(xs) (n,) (inf/nan where f is not finite)."""
    _one_variable(surface)
    n = int(n)
    if not 2 <= n <= MAX_CURVE_POINTS:
        raise ValueError(f"a curve needs 2 to {MAX_CURVE_POINTS:,} points, not {n}")
    xs = np.linspace(float(x_range[0]), float(x_range[1]), n)
    with np.errstate(all="ignore"):
        return xs, np.asarray(surface.value(xs[:, None]), dtype=float).reshape(n)


@dataclass(frozen=True)
class Tangent:
    """The tangent line at x.

    x, value : the point and f(x).  slope : f′(x).  curvature : f″(x).
    xs, ys : (2,) the segment to draw, from x − half_width to x + half_width on the line.
    text : "slope f′(4) = 6".
    """

    x: float
    value: float
    slope: float
    curvature: float
    xs: np.ndarray
    ys: np.ndarray
    text: str


def tangent_line(surface, x: float, half_width: float) -> Tangent:
    """The tangent of f at ``x`` over ``x ± half_width`` (the slope is ``surface.gradient``, exact)."""
    _one_variable(surface)
    p = np.array([[float(x)]])
    with np.errstate(all="ignore"):
        f0 = float(surface.value(p)[0])
        slope = float(surface.gradient(p)[0, 0])
        curv = float(surface.hessian(p)[0, 0, 0])
        xs = float(x) + np.array([-1.0, 1.0]) * float(half_width)
        ys = f0 + slope * (xs - float(x))
    name = surface.variable_names[0]
    return Tangent(float(x), f0, slope, curv, xs, ys, f"slope f′({name} = {for_people(x)}) {_equals(slope)}")


@dataclass(frozen=True)
class StepMove:
    """Step ``step`` of a one-variable trajectory: from x0 to x1 (points ``step`` and ``step + 1``).

    f0, f1 : the loss before and after.  slope : f′(x0).  dx : x1 − x0.  lr : the learning rate used (nan
    for an optimizer without one).  gradient_step : True when dx = −lr·f′(x0) (plain gradient descent: no
    momentum, no weight decay, no noise, no minibatch), to rounding.
    text : "x: 4 → 3.4, Δx = −0.6 = −lr·f′(x) = −0.1 × 6" (the product only when gradient_step).
    """

    step: int
    x0: float
    x1: float
    f0: float
    f1: float
    slope: float
    dx: float
    lr: float
    gradient_step: bool
    text: str


def step_move(trajectory, step: int, variable: str = "x") -> StepMove:
    """The move of ``trajectory`` (a one-variable :class:`~explorer.simulation.Trajectory`) at ``step``
    (0 ≤ step < trajectory.stop_step): what the 1-D view draws as an arrow along x."""
    points = np.asarray(trajectory.points, dtype=float)
    if points.ndim != 2 or points.shape[1] != 1:
        raise ValueError(f"step_move needs a trajectory of one variable, got points of shape {points.shape}")
    k = int(step)
    if not 0 <= k < trajectory.stop_step:
        raise ValueError(f"step must be from 0 to {trajectory.stop_step - 1}, not {k}")
    x0, x1 = float(points[k, 0]), float(points[k + 1, 0])
    f0, f1 = float(trajectory.loss[k]), float(trajectory.loss[k + 1])
    slope = float(trajectory.grads[k, 0])
    lr = float(trajectory.lrs[k]) if k < len(trajectory.lrs) else float("nan")
    dx = x1 - x0
    predicted = -lr * slope
    gradient_step = bool(np.isfinite(predicted) and abs(dx - predicted) <= 1e-9 * max(abs(dx), abs(x0), 1e-300))
    text = f"{variable}: {for_people(x0)} → {for_people(x1)}, Δ{variable} = {for_people(dx)}"
    if gradient_step:
        text += f" = −lr·f′({variable}) = −{for_people(lr)} × {for_people(slope)}"
    else:
        text += f"; f′({variable}) {_equals(slope)}"
    return StepMove(k, x0, x1, f0, f1, slope, dx, lr, gradient_step, text.replace("-", "−"))
