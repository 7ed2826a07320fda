"""Learning-rate sweep: one run per learning rate from the same start, all in one vectorised batch.

:func:`explorer.simulation.run_batch` accepts ``params["lr"]`` as an (n,) array, one rate per start, so a
sweep of n rates costs one batch of n starts rather than n runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from explorer.simulation import run_batch

__all__ = ["SweepResult", "lr_sweep", "lr_grid"]


@dataclass(frozen=True, eq=False)
class SweepResult:
    """Outcome per learning rate, all arrays (n,).

    lrs : the rates, as given.  final_loss : f where the run stopped.
    steps_to_tol : steps until ‖∇f‖ ≤ tolerance, or -1 when that never happened.
    status : "converged" | "diverged" | "max_steps".
    """

    lrs: np.ndarray
    final_loss: np.ndarray
    steps_to_tol: np.ndarray
    status: np.ndarray

    def best(self) -> float:
        """The rate that reached the tolerance in the fewest steps; if none did, the one with the lowest final
        loss among runs that did not diverge; nan if all diverged."""
        if np.any(self.steps_to_tol >= 0):
            steps = np.where(self.steps_to_tol >= 0, self.steps_to_tol, np.iinfo(np.int64).max)
            return float(self.lrs[np.argmin(steps)])
        loss = np.where(self.status == "diverged", np.nan, self.final_loss)
        if not np.any(np.isfinite(loss)):
            return float("nan")
        return float(self.lrs[np.nanargmin(loss)])


def lr_grid(center: float, *, decades: float = 2.0, n: int = 61) -> np.ndarray:
    """``n`` log-spaced rates from center·10^-decades to center·10^decades (n odd includes center)."""
    return np.geomspace(center * 10.0 ** -decades, center * 10.0 ** decades, n)


def lr_sweep(surface, optimizer: str, params: Mapping[str, Any], start, lrs, *, steps: int,
             tolerance: float = 1e-8, bounds=None, schedule=None) -> SweepResult:
    """Run ``optimizer`` from ``start`` (d,) once per rate in ``lrs`` (n,), all in one batch.

    ``params`` are the run's other hyperparameters (its own ``lr`` is replaced). ``tolerance`` 0 runs every
    rate for the full ``steps`` (final loss after exactly ``steps`` steps). ``bounds`` ((xmin, xmax),
    (ymin, ymax)) makes runs that leave the view far behind count as diverged early.
    """
    lrs = np.asarray(lrs, dtype=np.float64).reshape(-1)
    start = np.asarray(start, dtype=np.float64).reshape(-1)
    starts = np.repeat(start[None, :], lrs.size, axis=0)
    result = run_batch(surface, optimizer, {**dict(params), "lr": lrs}, starts, steps, tolerance=tolerance,
                       bounds=bounds, schedule=schedule)
    status = np.asarray(result.status).astype(str)
    steps_to_tol = np.where(status == "converged", np.asarray(result.steps), -1).astype(np.int64)
    return SweepResult(lrs, np.asarray(result.final_loss, dtype=np.float64), steps_to_tol, status)
