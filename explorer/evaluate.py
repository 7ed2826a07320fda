"""Numeric f, ∇f and the Hessian of a :class:`~explorer.surface.Symbolic`, for any number of variables.

FIRST VERSION (lambdify-based), written so the interface exists; the compiled engine replaces the internals.

An :class:`Evaluator` takes points ``P`` shaped ``(..., d)`` and returns float64 arrays: :meth:`value`
``(...)``, :meth:`gradient` ``(..., d)``, :meth:`hessian` ``(..., d, d)``. With data, f is the mean (or sum)
over the rows of the per-example loss, and so are ∇f and H (exact: the per-example derivatives are symbolic).
Overflow and invalid operations give inf/nan silently; complex intermediates give nan.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import sympy
from sympy.printing.numpy import SciPyPrinter

from explorer.expression import symbol

_CHUNK = 1_000_000  # points x rows evaluated at once with data


class _Printer(SciPyPrinter):
    """SciPy printer whose Max/Min broadcast a scalar against an array (nested numpy.maximum/minimum)."""

    def _nested(self, fn: str, args) -> str:
        out = self._print(args[0])
        for a in args[1:]:
            out = f"{self._module_format('numpy.' + fn)}({out}, {self._print(a)})"
        return out

    def _print_Max(self, expr):
        return self._nested("maximum", expr.args)

    def _print_Min(self, expr):
        return self._nested("minimum", expr.args)


def _lambdify(args, exprs):
    return sympy.lambdify(args, exprs, modules=["scipy", "numpy"], printer=_Printer, cse=True, docstring_limit=0,
                          dummify=True)


def _real(a) -> np.ndarray:
    a = np.asarray(a)
    if np.iscomplexobj(a):
        a = np.where(np.abs(a.imag) <= 1e-12 * np.maximum(np.abs(a.real), 1.0), a.real, np.nan)
    return a.astype(np.float64, copy=False)


@dataclass(frozen=True)
class _Functions:
    value: Any
    gradient: Any
    hessian: Any


def compile_functions(sym) -> _Functions:
    """The numeric functions of a Symbolic (arguments: variables, parameters, columns)."""
    args = [symbol(n) for n in (*sym.variables, *sym.parameter_names, *sym.columns)]
    d = len(sym.variables)
    upper = [sym.hessian_exprs[i][j] for i in range(d) for j in range(i, d)]
    return _Functions(_lambdify(args, sym.expr), _lambdify(args, list(sym.gradient_exprs)), _lambdify(args, upper))


@dataclass(frozen=True, eq=False)
class Evaluator:
    """f, ∇f, H of ``symbolic`` at given parameter values, reduced over ``data`` rows (mean or sum)."""

    symbolic: Any
    parameters: Mapping[str, float] = field(default_factory=dict)
    data: Any = None
    reduction: str = "mean"
    _functions: _Functions | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.reduction not in ("mean", "sum"):
            raise ValueError(f"reduction must be 'mean' or 'sum', not {self.reduction!r}")
        if self._functions is None:
            object.__setattr__(self, "_functions", compile_functions(self.symbolic))

    @property
    def ndim(self) -> int:
        return len(self.symbolic.variables)

    def with_parameters(self, values: Mapping[str, float]) -> Evaluator:
        return replace(self, parameters=dict(values))

    def with_data(self, data) -> Evaluator:
        return replace(self, data=data)

    # ------------------------------------------------------------------ numerics
    def _points(self, P) -> tuple[np.ndarray, tuple[int, ...]]:
        P = np.asarray(P, dtype=np.float64)
        d = self.ndim
        if P.shape[-1:] != (d,):
            raise ValueError(f"points must have shape (..., {d}), got {P.shape}")
        return P.reshape(-1, d), P.shape[:-1]

    def _params(self) -> list[float]:
        return [float(self.parameters[n]) for n in self.symbolic.parameter_names]

    def _reduce(self, fn, flat: np.ndarray, k: int) -> np.ndarray:
        """Evaluate ``fn`` (k outputs) at every point, over all rows; returns (m, k)."""
        m, d = flat.shape
        out = np.empty((m, k))
        params = self._params()
        columns = self.symbolic.columns
        with np.errstate(all="ignore"):
            if self.data is None:
                res = fn(*(flat[:, j] for j in range(d)), *params, *([np.nan] * len(columns)))
                for j, r in enumerate(res if k > 1 or isinstance(res, (list, tuple)) else [res]):
                    out[:, j] = _real(r)
                return out
            rows = (np.stack([self.data.column(c) for c in columns], axis=1) if columns
                    else np.zeros((len(self.data), 0)))
            n = len(self.data)
            if n == 0:  # no examples: the sum is 0, the mean undefined
                out[:] = 0.0 if self.reduction == "sum" else np.nan
                return out
            per = max(1, _CHUNK // n)
            for a in range(0, m, per):
                block = flat[a:a + per]
                res = fn(*(block[:, j, None] for j in range(d)), *params,
                         *(rows[None, :, c] for c in range(len(columns))))
                for j, r in enumerate(res if k > 1 or isinstance(res, (list, tuple)) else [res]):
                    r = np.broadcast_to(_real(r), (block.shape[0], len(self.data)))
                    out[a:a + per, j] = r.sum(axis=1) if self.reduction == "sum" else r.sum(axis=1) / n
        return out

    def value(self, P) -> np.ndarray:
        flat, shape = self._points(P)
        return self._reduce(self._functions.value, flat, 1)[:, 0].reshape(shape)

    def gradient(self, P) -> np.ndarray:
        flat, shape = self._points(P)
        return self._reduce(self._functions.gradient, flat, self.ndim).reshape(*shape, self.ndim)

    def hessian(self, P) -> np.ndarray:
        flat, shape = self._points(P)
        d = self.ndim
        upper = self._reduce(self._functions.hessian, flat, d * (d + 1) // 2)
        out = np.empty((flat.shape[0], d, d))
        k = 0
        for i in range(d):
            for j in range(i, d):
                out[:, i, j] = out[:, j, i] = upper[:, k]
                k += 1
        return out.reshape(*shape, d, d)
