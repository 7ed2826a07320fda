"""A compiled loss surface: f, ∇f and the Hessian as sympy expressions, LaTeX and broadcasting numpy code.

The symbolic work (differentiation with :func:`sympy.diff`, LaTeX) happens once in :func:`compile_surface`;
the numeric functions are generated from the sympy expressions — never from typed text — with
:func:`sympy.lambdify` (``cse=True``: common subexpressions of the gradient components and of the Hessian
entries are computed once; see ``bench/compile.py`` for the measurement).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import sympy
from sympy.printing.numpy import SciPyPrinter

from explorer.expression import VARIABLES, ExpressionError, parse_expression

__all__ = ["Surface", "compile_surface", "ExpressionError"]


class _Printer(SciPyPrinter):
    """SciPy printer whose Max/Min broadcast a scalar against an array.

    sympy prints ``Max(a, b)`` as ``numpy.amax((a, b), axis=0)``, which fails when one argument is a scalar
    and the other an array; nested ``numpy.maximum`` broadcasts.
    """

    def _nested(self, fn: str, args) -> str:
        out = self._print(args[0])
        for a in args[1:]:
            out = f"{self._module_format('numpy.' + fn)}({out}, {self._print(a)})"
        return out

    def _print_Max(self, expr):
        return self._nested("maximum", expr.args)

    def _print_Min(self, expr):
        return self._nested("minimum", expr.args)


def _drop_distributions(e: sympy.Expr) -> sympy.Expr:
    """Derivatives of sign/Heaviside are DiracDelta; numerically they are 0 almost everywhere."""
    if e.has(sympy.DiracDelta):
        e = e.replace(lambda a: isinstance(a, sympy.DiracDelta), lambda a: sympy.S.Zero)
    return e


@dataclass(frozen=True)
class Symbolic:
    """The symbolic half of a surface: picklable, so it can be built in a worker process."""

    text: str
    expr: sympy.Expr
    parameter_names: tuple[str, ...]
    gradient_exprs: tuple[sympy.Expr, ...]
    hessian_exprs: tuple[tuple[sympy.Expr, ...], ...]
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


def symbolic(text: str, parameter_names: tuple[str, ...] = ()) -> Symbolic:
    """Parse and differentiate; raises :class:`ExpressionError`."""
    expr = parse_expression(text, parameter_names)
    (x, y) = VARIABLES.values()
    grad = (_drop_distributions(sympy.diff(expr, x)), _drop_distributions(sympy.diff(expr, y)))
    hxx = _drop_distributions(sympy.diff(grad[0], x))
    hxy = _drop_distributions(sympy.diff(grad[0], y))  # = ∂²f/∂y∂x (Schwarz), computed once
    hyy = _drop_distributions(sympy.diff(grad[1], y))
    return Symbolic(text, expr, tuple(parameter_names), grad, ((hxx, hxy), (hxy, hyy)))


def _lambdify(args, exprs):
    return sympy.lambdify(args, exprs, modules=["scipy", "numpy"], printer=_Printer, cse=True, docstring_limit=0)


@dataclass(frozen=True)
class _Compiled:
    value: Any
    gradient: Any
    hessian: Any


def _compile(sym: Symbolic) -> _Compiled:
    args = (*VARIABLES.values(), *(sympy.Symbol(p, real=True) for p in sym.parameter_names))
    flat_hessian = [sym.hessian_exprs[0][0], sym.hessian_exprs[0][1], sym.hessian_exprs[1][1]]
    return _Compiled(
        value=_lambdify(args, sym.expr),
        gradient=_lambdify(args, list(sym.gradient_exprs)),
        hessian=_lambdify(args, flat_hessian),
    )


def _real(a) -> np.ndarray:
    """float64 view of a lambdified result; complex values (e.g. (-1)**(1/3)) become nan unless real."""
    a = np.asarray(a)
    if np.iscomplexobj(a):
        a = np.where(np.abs(a.imag) <= 1e-12 * np.maximum(np.abs(a.real), 1.0), a.real, np.nan)
    return a.astype(np.float64, copy=False)


@dataclass(frozen=True, eq=False)
class Surface:
    """A loss surface f(x, y) with its gradient and Hessian.

    Numeric methods take points ``xy`` shaped ``(..., 2)`` and return float64 arrays:
    :meth:`value` ``(...)``, :meth:`gradient` ``(..., 2)``, :meth:`hessian` ``(..., 2, 2)``. Constant
    derivative components are broadcast; overflow and invalid operations give inf/nan silently.
    """

    symbolic: Symbolic
    _compiled: _Compiled = field(repr=False)
    parameters: dict[str, float] = field(default_factory=dict)

    # --- symbolic views -------------------------------------------------------------------------------
    @property
    def text(self) -> str:
        return self.symbolic.text

    @property
    def expr(self) -> sympy.Expr:
        return self.symbolic.expr

    @property
    def variables(self) -> tuple[sympy.Symbol, ...]:
        return tuple(VARIABLES.values())

    @property
    def ndim(self) -> int:
        return len(VARIABLES)

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
        return replace(self, parameters=merged)

    # --- numerics -------------------------------------------------------------------------------------
    def _args(self, xy) -> tuple[tuple, tuple[int, ...]]:
        xy = np.asarray(xy, dtype=np.float64)
        if xy.shape[-1:] != (2,):
            raise ValueError(f"points must have shape (..., 2), got {xy.shape}")
        return (xy[..., 0], xy[..., 1], *self.parameters.values()), xy.shape[:-1]

    def value(self, xy) -> np.ndarray:
        args, shape = self._args(xy)
        with np.errstate(all="ignore"):
            v = _real(self._compiled.value(*args))
        return np.broadcast_to(v, shape).copy() if v.shape != shape else v

    def gradient(self, xy) -> np.ndarray:
        args, shape = self._args(xy)
        out = np.empty((*shape, 2))
        with np.errstate(all="ignore"):
            gx, gy = self._compiled.gradient(*args)
            out[..., 0] = _real(gx)
            out[..., 1] = _real(gy)
        return out

    def hessian(self, xy) -> np.ndarray:
        args, shape = self._args(xy)
        out = np.empty((*shape, 2, 2))
        with np.errstate(all="ignore"):
            hxx, hxy, hyy = self._compiled.hessian(*args)
            out[..., 0, 0] = _real(hxx)
            out[..., 0, 1] = out[..., 1, 0] = _real(hxy)
            out[..., 1, 1] = _real(hyy)
        return out


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


def compile_surface(text: str, parameters: Mapping[str, float] | None = None, *,
                    timeout: float | None = None) -> Surface:
    """Compile typed text into a :class:`Surface`.

    Parameters
    ----------
    text : the expression as typed.
    parameters : values for names other than x and y used in the expression.
    timeout : seconds allowed for the symbolic work. ``None`` works in this process; a number runs the
        parse and differentiation in a separate process (see :mod:`explorer.compile_worker`) and raises
        ``ExpressionError("… too complex …")`` when it takes longer — use this from a GUI.

    Raises
    ------
    ExpressionError
        A ``ValueError`` whose ``start``/``end`` are character offsets into ``text``.
    """
    values = _check_parameters(parameters)
    names = tuple(values)
    if timeout is None:
        sym = symbolic(text, names)
    else:
        from explorer.compile_worker import symbolic_with_timeout

        sym = symbolic_with_timeout(text, names, timeout)
    used = {s.name for s in sym.expr.free_symbols} - set(VARIABLES)
    # Only parameters the expression uses become arguments; unused ones are kept out of the way.
    if used != set(names):
        sym = replace(sym, parameter_names=tuple(n for n in names if n in used))
    try:
        compiled = _compile(sym)
    except Exception as exc:  # a sympy printer gap must not crash the app
        raise ExpressionError(f"this expression cannot be evaluated numerically ({exc})", 0, len(text)) from None
    return Surface(sym, compiled, {n: values[n] for n in sym.parameter_names})
