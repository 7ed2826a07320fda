"""Numeric f, ∇f and the Hessian of a :class:`~explorer.surface.Symbolic`, for any number of variables.

An :class:`Evaluator` takes points ``P`` shaped ``(..., d)`` and returns float64 arrays: :meth:`value`
``(...)``, :meth:`gradient` ``(..., d)``, :meth:`hessian` ``(..., d, d)``. With data, f is the mean (or sum)
over the rows of the per-example loss, and so are ∇f and H (exact: the per-example derivatives are symbolic,
summed numerically in row order). Overflow and undefined operations give inf/nan silently.

The numbers come from expression tapes (:mod:`explorer.tape`) run by one compiled interpreter: building an
Evaluator costs sympy's common-subexpression elimination and no machine-code compilation, and parameter
values are data for the interpreter, so :meth:`with_parameters` and :meth:`with_data` are cheap copies that
share the tapes. The simulation engine (:mod:`explorer.engine`) runs the same tapes inside its compiled
loops; :meth:`program` hands them over.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import numpy as np

from explorer.expression import ExpressionError
from explorer.tape import Tape, TapeError, build_tape, eval_data_points, eval_points

__all__ = ["Evaluator", "Program"]


class Program(NamedTuple):
    """A tape with what a kernel needs to run it: outputs f, then ∇f, then (optionally) the Hessian's upper
    triangle row by row (H[0,0], H[0,1], ..., H[1,1], ...)."""

    code: np.ndarray
    imm: np.ndarray
    consts: np.ndarray
    meta: np.ndarray
    outs: np.ndarray


def _program(tape: Tape) -> Program:
    return Program(tape.code, tape.imm, tape.consts, tape.meta, tape.outputs)


class _Tapes:
    """The tapes of one Symbolic, shared by every Evaluator made from it; the Hessian's is built on first use."""

    def __init__(self, sym):
        self.sym = sym
        self.inputs = (*sym.variables, *sym.parameter_names, *sym.columns)
        self.value = self._build([sym.expr])
        self.gradient = self._build([sym.expr, *sym.gradient_exprs])
        self._hessian: Tape | None = None
        self._lock = threading.Lock()

    def _build(self, exprs) -> Tape:
        try:
            return build_tape(exprs, self.inputs)
        except TapeError as exc:
            raise ExpressionError(f"this expression cannot be evaluated numerically: {exc}", 0,
                                  len(self.sym.text)) from None

    @property
    def hessian(self) -> Tape:
        with self._lock:
            if self._hessian is None:
                d = len(self.sym.variables)
                upper = [self.sym.hessian_exprs[i][j] for i in range(d) for j in range(i, d)]
                self._hessian = self._build([self.sym.expr, *self.sym.gradient_exprs, *upper])
            return self._hessian


@dataclass(frozen=True, eq=False)
class Evaluator:
    """f, ∇f, H of ``symbolic`` at given parameter values, reduced over ``data`` rows (mean or sum).

    Raises :class:`~explorer.expression.ExpressionError` when the expression uses something the tape cannot
    evaluate (checked for f, ∇f and H when the Evaluator is made, never later).
    """

    symbolic: Any
    parameters: Mapping[str, float] = field(default_factory=dict)
    data: Any = None
    reduction: str = "mean"
    _tapes: _Tapes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.reduction not in ("mean", "sum"):
            raise ValueError(f"reduction must be 'mean' or 'sum', not {self.reduction!r}")
        if self._tapes is None:
            tapes = _Tapes(self.symbolic)
            tapes.hessian  # noqa: B018 - every expression is checked now, so no error can come later
            object.__setattr__(self, "_tapes", tapes)

    @property
    def ndim(self) -> int:
        return len(self.symbolic.variables)

    def with_parameters(self, values: Mapping[str, float]) -> Evaluator:
        return replace(self, parameters=dict(values))

    def with_data(self, data) -> Evaluator:
        return replace(self, data=data)

    # ------------------------------------------------------------------ for the engine
    def program(self, what: str = "gradient") -> Program:
        """The tape computing f ("value"), f and ∇f ("gradient"), or f, ∇f and H ("hessian")."""
        return _program(getattr(self._tapes, what))

    def parameter_vector(self) -> np.ndarray:
        """The parameter values in the tape's input order, (p,) float64."""
        return np.array([float(self.parameters[n]) for n in self.symbolic.parameter_names], dtype=np.float64)

    @property
    def uses_data(self) -> bool:
        """True when f is a reduction over data rows (data attached and the expression uses its columns)."""
        return self.data is not None and bool(self.symbolic.columns)

    def data_columns(self) -> np.ndarray:
        """The columns the expression uses, (c, n) C-contiguous float64 (c = 0 rows without data)."""
        if self.data is None or not self.symbolic.columns:
            return np.zeros((len(self.symbolic.columns), 0))
        cache = self.__dict__.setdefault("_columns", {})
        key = id(self.data)
        if key not in cache:
            cache.clear()
            cache[key] = np.ascontiguousarray(np.stack([self.data.column(c) for c in self.symbolic.columns]),
                                              dtype=np.float64)
        return cache[key]

    @property
    def n_rows(self) -> int:
        return 0 if self.data is None else len(self.data)

    def full_scale(self) -> float:
        """The factor applied to a sum over all rows: 1/n for a mean (nan without rows), 1 for a sum."""
        n = self.n_rows
        if self.reduction == "sum":
            return 1.0
        return 1.0 / n if n else float("nan")

    # ------------------------------------------------------------------ numerics
    def _points(self, P) -> tuple[np.ndarray, tuple[int, ...]]:
        P = np.asarray(P, dtype=np.float64)
        d = self.ndim
        if P.shape[-1:] != (d,):
            raise ValueError(f"points must have shape (..., {d}), got {P.shape}")
        return np.ascontiguousarray(P.reshape(-1, d)), P.shape[:-1]

    def _run(self, tape: Tape, flat: np.ndarray) -> np.ndarray:
        """All outputs of ``tape`` at the points ``flat`` (m, d), reduced over the data rows: (m, n_out)."""
        prog = _program(tape)
        out = np.empty((flat.shape[0], prog.outs.size))
        params = self.parameter_vector()
        if self.data is not None and self.n_rows == 0:  # no examples: the sum is 0, the mean undefined
            out[:] = 0.0 if self.reduction == "sum" else np.nan
            return out
        if self.uses_data:
            eval_data_points(*prog, params, flat, self.data_columns(), self.full_scale(), out)
        else:
            eval_points(*prog, params, flat, out)
            if self.data is not None and self.reduction == "sum":
                out *= self.n_rows  # every row contributes the same value
        return out

    def value(self, P) -> np.ndarray:
        flat, shape = self._points(P)
        return self._run(self._tapes.value, flat)[:, 0].reshape(shape)

    def gradient(self, P) -> np.ndarray:
        flat, shape = self._points(P)
        return self._run(self._tapes.gradient, flat)[:, 1:].reshape(*shape, self.ndim)

    def value_and_gradient(self, P) -> tuple[np.ndarray, np.ndarray]:
        """f (...) and ∇f (..., d) in one pass (they share their common subexpressions)."""
        flat, shape = self._points(P)
        out = self._run(self._tapes.gradient, flat)
        return out[:, 0].reshape(shape), out[:, 1:].reshape(*shape, self.ndim)

    def hessian(self, P) -> np.ndarray:
        flat, shape = self._points(P)
        d = self.ndim
        upper = self._run(self._tapes.hessian, flat)[:, 1 + d:]
        out = np.empty((flat.shape[0], d, d))
        k = 0
        for i in range(d):
            for j in range(i, d):
                out[:, i, j] = out[:, j, i] = upper[:, k]
                k += 1
        return out.reshape(*shape, d, d)
