"""A compiled loss surface: f, ∇f and the Hessian as sympy expressions, LaTeX and broadcasting numeric code.

The symbolic work (parsing, differentiation with :func:`sympy.diff`, LaTeX) happens once in
:func:`compile_surface` (or in a worker process with a time limit, :mod:`explorer.compile_worker`); the numbers
come from an :class:`~explorer.evaluate.Evaluator` built from the sympy expressions — never from typed text.

A surface has d ≥ 1 variables (the coordinates being optimised, default x and y), any number of parameters
(other names; a slider each) and, for a loss over data, the names of the data columns the per-example loss
uses. With data, f is the mean (or sum) over the rows of that per-example loss.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import sympy

from explorer.expression import DEFAULT_VARIABLES, ExpressionError, check_names, parse_expression, symbol

__all__ = ["Surface", "Symbolic", "check_defined", "compile_surface", "symbolic", "ExpressionError"]

DEFAULT_PARAMETER_VALUE = 1.0


def _drop_distributions(e: sympy.Expr) -> sympy.Expr:
    """Derivatives of sign/Heaviside are DiracDelta; numerically they are 0 almost everywhere."""
    if e.has(sympy.DiracDelta):
        e = e.replace(lambda a: isinstance(a, sympy.DiracDelta), lambda a: sympy.S.Zero)
    return e


@dataclass(frozen=True)
class Symbolic:
    """The symbolic half of a surface: picklable, so it can be built in a worker process.

    variables : names of the d coordinates, in order. parameter_names : the other names, in order of first use.
    columns : data column names the expression uses (a per-example loss), else ().
    gradient_exprs : d expressions. hessian_exprs : d rows of d expressions (symmetric: each pair computed once).
    """

    text: str
    expr: sympy.Expr
    parameter_names: tuple[str, ...]
    gradient_exprs: tuple[sympy.Expr, ...]
    hessian_exprs: tuple[tuple[sympy.Expr, ...], ...]
    variables: tuple[str, ...] = DEFAULT_VARIABLES
    columns: tuple[str, ...] = ()
    _latex: dict[str, str] | None = field(default=None, repr=False, compare=False)

    @property
    def latex(self) -> dict[str, str]:
        """LaTeX of f, ∇f and H (made on first use: it costs as much as differentiating)."""
        if self._latex is None:
            grad, hess = self.gradient_exprs, self.hessian_exprs
            row = r",\ ".join
            latex = {
                "f": sympy.latex(self.expr),
                "gradient": r"\left(" + row(sympy.latex(g) for g in grad) + r"\right)",
                "hessian": r"\left(" + row(r"\left(" + row(sympy.latex(h) for h in r) + r"\right)"
                                            for r in hess) + r"\right)",
            }
            object.__setattr__(self, "_latex", latex)
        return self._latex


def symbolic(text: str, parameter_names: tuple[str, ...] = (), *, variables=DEFAULT_VARIABLES, columns=(),
             free_parameters: bool = True) -> Symbolic:
    """Parse and differentiate; raises :class:`ExpressionError`.

    parameter_names : names declared as parameters (kept in this order); with ``free_parameters`` any other
    plain name the text uses becomes a parameter too, appended in order of first appearance.
    """
    variables = check_names(variables, "variable", at_least=1)
    columns = check_names(columns, "data column", taken=variables, at_most=64)
    expr = parse_expression(text, parameter_names, variables=variables, columns=columns,
                            free_parameters=free_parameters)
    used = {s.name for s in expr.free_symbols}
    declared = [p for p in parameter_names if p in used and p not in variables and p not in columns]
    free = sorted(used - set(variables) - set(columns) - set(declared), key=lambda n: _first_use(text, n))
    xs = [symbol(v) for v in variables]
    d = len(xs)
    budget = _Budget(text)
    budget.add(expr)
    try:
        grad = tuple(budget.add(_drop_distributions(sympy.diff(expr, v))) for v in xs)
        hess = [[sympy.S.Zero] * d for _ in range(d)]
        for i in range(d):
            for j in range(i, d):  # ∂²f/∂x_j∂x_i = ∂²f/∂x_i∂x_j (Schwarz): each pair once
                hess[i][j] = hess[j][i] = budget.add(_drop_distributions(sympy.diff(grad[i], xs[j])))
    except ExpressionError:
        raise
    except RecursionError:
        raise ExpressionError("this expression is too complex to differentiate", 0, len(text)) from None
    except (ArithmeticError, ValueError, TypeError, AttributeError, NotImplementedError) as exc:
        raise ExpressionError(f"this expression cannot be differentiated ({str(exc)[:80]})", 0, len(text)) from None
    if any(g.has(sympy.I) for g in grad):
        raise ExpressionError("the derivatives of this expression are not real numbers", 0, len(text))
    return Symbolic(text, expr, (*declared, *free), grad, tuple(tuple(r) for r in hess), tuple(variables),
                    tuple(c for c in columns if c in used))


MAX_DERIVATIVE_NODES = 60_000


class _Budget:
    """Counts the nodes of f, ∇f and H as they are made; past :data:`MAX_DERIVATIVE_NODES` the expression is
    refused, so compiling and evaluating it stays fast (the largest built-in lesson needs about 8,300)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.used = 0

    def add(self, e: sympy.Expr) -> sympy.Expr:
        for _ in sympy.preorder_traversal(e):
            self.used += 1
            if self.used > MAX_DERIVATIVE_NODES:
                raise ExpressionError(f"this expression's derivatives are too large to compute with (more than "
                                      f"{MAX_DERIVATIVE_NODES:,} operations); simplify it", 0, len(self.text))
        return e


def _first_use(text: str, name: str) -> int:
    import re

    m = re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", text)
    return m.start() if m else len(text)


@dataclass(frozen=True, eq=False)
class Surface:
    """A loss surface f(x₁, …, x_d) with its gradient and Hessian.

    Numeric methods take points ``P`` shaped ``(..., d)`` and return float64 arrays: :meth:`value` ``(...)``,
    :meth:`gradient` ``(..., d)``, :meth:`hessian` ``(..., d, d)``. Constant derivative components are
    broadcast; overflow and invalid operations give inf/nan silently. With ``data``, these are the values of
    the mean (or sum, see ``reduction``) over the data rows.
    """

    symbolic: Symbolic
    evaluator: object = field(repr=False)  # an explorer.evaluate.Evaluator
    parameters: dict[str, float] = field(default_factory=dict)
    data: object = None
    reduction: str = "mean"

    # --- symbolic views -------------------------------------------------------------------------------
    @property
    def text(self) -> str:
        return self.symbolic.text

    @property
    def expr(self) -> sympy.Expr:
        return self.symbolic.expr

    @property
    def variable_names(self) -> tuple[str, ...]:
        return self.symbolic.variables

    @property
    def variables(self) -> tuple[sympy.Symbol, ...]:
        return tuple(symbol(v) for v in self.symbolic.variables)

    @property
    def ndim(self) -> int:
        return len(self.symbolic.variables)

    @property
    def columns(self) -> tuple[str, ...]:
        return self.symbolic.columns

    @property
    def gradient_exprs(self) -> tuple[sympy.Expr, ...]:
        return self.symbolic.gradient_exprs

    @property
    def hessian_exprs(self) -> tuple[tuple[sympy.Expr, ...], ...]:
        return self.symbolic.hessian_exprs

    @property
    def latex(self) -> dict[str, str]:
        return self.symbolic.latex

    def with_parameters(self, values: Mapping[str, float]) -> Surface:
        """The same surface with other parameter values (no recompilation)."""
        merged = {**self.parameters, **{k: float(v) for k, v in values.items() if k in self.parameters}}
        return replace(self, parameters=merged, evaluator=self.evaluator.with_parameters(merged))

    def with_data(self, data) -> Surface:
        """The same per-example loss over other data rows (no recompilation); needs the same columns."""
        _check_data(self.symbolic, data)
        return replace(self, data=data, evaluator=self.evaluator.with_data(data))

    # --- numerics -------------------------------------------------------------------------------------
    def value(self, P) -> np.ndarray:
        return self.evaluator.value(P)

    def gradient(self, P) -> np.ndarray:
        return self.evaluator.gradient(P)

    def hessian(self, P) -> np.ndarray:
        return self.evaluator.hessian(P)


def _check_parameters(parameters: Mapping[str, float] | None) -> dict[str, float]:
    values: dict[str, float] = {}
    for name, v in (parameters or {}).items():
        try:
            f = float(v)
        except (TypeError, ValueError):
            raise ExpressionError(f"parameter '{name}' must be a number, got {v!r}", 0, 0) from None
        if not np.isfinite(f):
            raise ExpressionError(f"parameter '{name}' must be finite, got {v!r}", 0, 0)
        values[str(name)] = f
    return values


def _check_data(sym: Symbolic, data) -> None:
    if data is None:
        if sym.columns:
            raise ExpressionError(f"the expression uses the data column{'s' if len(sym.columns) > 1 else ''} "
                                  f"{', '.join(sym.columns)} but there is no data", 0, len(sym.text))
        return
    missing = [c for c in sym.columns if c not in data.columns]
    if missing:
        raise ExpressionError(f"the data has no column {', '.join(missing)}", 0, len(sym.text))


DEFAULT_TIMEOUT = 5.0  # seconds of symbolic work allowed to a formula (in a worker process, memory-capped)


def compile_surface(text: str, parameters: Mapping[str, float] | None = None, *, variables=DEFAULT_VARIABLES,
                    data=None, reduction: str = "mean", timeout: float | None = DEFAULT_TIMEOUT,
                    free_parameters: bool = True) -> Surface:
    """Compile typed text into a :class:`Surface`.

    Parameters
    ----------
    text : the expression as typed (with ``data``: the loss of ONE example, using the column names).
    parameters : values for names other than the variables; names the text uses but not given here become
        parameters with value 1.0.
    variables : the coordinates being optimised, in order (1 to 20 names).
    data : an :class:`explorer.data.Dataset` or None. reduction : "mean" or "sum" over its rows.
    timeout : seconds allowed for the symbolic work (default :data:`DEFAULT_TIMEOUT`). The parse and
        differentiation run in a separate, memory-capped process (see :mod:`explorer.compile_worker`), which
        is stopped with ``ExpressionError("… too complex …")`` when it takes longer. ``None`` works in this
        process without limits: only for formulas you trust (benchmarks measure the work itself that way).
    free_parameters : when False, every name besides the variables and columns must be in ``parameters``
        (preset files declare theirs: an undeclared name there is a typo).

    Raises
    ------
    ExpressionError
        A ``ValueError`` whose ``start``/``end`` are character offsets into ``text``.
    """
    values = _check_parameters(parameters)
    if reduction not in ("mean", "sum"):
        raise ExpressionError(f"reduction must be 'mean' or 'sum', not {reduction!r}", 0, 0)
    variables = tuple(variables)
    columns = tuple(data.columns) if data is not None else ()
    names = tuple(n for n in values if n not in variables and n not in columns)
    if timeout is None:
        sym = symbolic(text, names, variables=variables, columns=columns, free_parameters=free_parameters)
    else:
        from explorer.compile_worker import symbolic_with_timeout

        sym = symbolic_with_timeout(text, names, timeout, variables=variables, columns=columns,
                                    free_parameters=free_parameters)
    _check_data(sym, data)
    params = {n: values.get(n, DEFAULT_PARAMETER_VALUE) for n in sym.parameter_names}
    from explorer.evaluate import Evaluator  # the numeric engine: not needed by the compile worker

    try:
        evaluator = Evaluator(sym, params, data, reduction)
    except ExpressionError:
        raise
    except Exception as exc:  # a printer gap must not crash the app
        raise ExpressionError(f"this expression cannot be evaluated numerically ({exc})", 0, len(text)) from None
    return Surface(sym, evaluator, params, data, reduction)


def check_defined(surface: Surface, ranges) -> None:
    """Raise :class:`ExpressionError` when f is undefined (nan) or infinite at every sampled point of the box
    ``ranges`` (one (min, max) per variable): ``acos(2 + x^2)``, ``log(-1 - x^2)``, ``sqrt(-x^2 - 1)`` type
    every number in and still show nothing, so say so instead of drawing an empty map.

    Samples a 16 × 16 grid for two variables (256 points otherwise; seeded, reproducible).
    """
    lo = np.array([r[0] for r in ranges], dtype=float)
    hi = np.array([r[1] for r in ranges], dtype=float)
    d = lo.size
    if d == 2:
        axes = [np.linspace(lo[j], hi[j], 16) for j in range(2)]
        points = np.stack(np.meshgrid(*axes), axis=-1).reshape(-1, 2)
    else:
        points = lo + np.random.default_rng(0).random((256, d)) * (hi - lo)
        points[0] = (lo + hi) / 2
    values = surface.value(points)
    if not np.isfinite(values).any():
        what = "undefined (not a real number)" if np.isnan(values).all() else "infinite or undefined"
        box = " × ".join(f"[{a:g}, {b:g}]" for a, b in zip(lo, hi))
        raise ExpressionError(f"f is {what} everywhere in the view {box}: check square roots and logarithms "
                              f"of negative numbers, and asin/acos outside [-1, 1]", 0, len(surface.text))
