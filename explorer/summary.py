"""The summary of a comparison: one row of plain numbers per run (no Qt here).

For each run: its status, the first step whose gradient norm is within the tolerance (``None`` = never),
the final loss, the distance from the final point to the nearest known minimum (when the preset names
minima) and the number of gradient evaluations. :func:`summarize` builds the rows, :func:`summary_rows`
turns them into text cells for a table, a clipboard or a CSV file.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SUMMARY_HEADER = ["run", "label", "optimizer", "status", "steps_to_tolerance", "final_loss",
                  "distance_to_minimum", "grad_evals"]


@dataclass(frozen=True)
class RunSummary:
    """One run's outcome.

    status : "converged" | "diverged" | "max_steps" | "error" | "pending" (not computed yet).
    steps_to_tolerance : first step k with ‖∇f(x_k)‖₂ ≤ tolerance, or None if never reached
        (always None when tolerance is 0).
    final_loss : f at the last point (nan when not computed).
    distance_to_minimum : min over the known minima m of ‖x_last − m‖₂; None without known minima,
        inf when the last point is not finite.
    grad_evals : gradient evaluations, including those of a line search.
    """

    index: int
    label: str
    optimizer: str
    status: str
    steps_to_tolerance: int | None
    final_loss: float
    distance_to_minimum: float | None
    grad_evals: int
    message: str = ""
    stop_step: int = 0


def steps_to_tolerance(grads: np.ndarray, tolerance: float) -> int | None:
    """First index k with ‖grads[k]‖₂ ≤ tolerance; grads : (k + 1, d). None if never (or tolerance ≤ 0)."""
    if not tolerance > 0:
        return None
    with np.errstate(all="ignore"):
        norms = np.linalg.norm(np.asarray(grads, dtype=float), axis=-1)
    hits = np.flatnonzero(norms <= tolerance)   # nan compares False: a diverged point never counts
    return int(hits[0]) if hits.size else None


def distance_to_nearest(point: np.ndarray, minima: Sequence[Sequence[float]]) -> float | None:
    """min_m ‖point − m‖₂ over ``minima`` (m, d); point (d,). None without minima, inf for a non-finite point."""
    if not len(minima):
        return None
    point = np.asarray(point, dtype=float)
    if not np.all(np.isfinite(point)):
        return math.inf
    with np.errstate(all="ignore"):
        return float(np.min(np.linalg.norm(np.asarray(minima, dtype=float) - point, axis=-1)))


def summarize(runs, trajectories, *, tolerance: float, minima=(), errors=None) -> list[RunSummary]:
    """One :class:`RunSummary` per run; ``trajectories[i]`` may be None (pending, or failed with errors[i])."""
    out = []
    for i, (run, traj) in enumerate(zip(runs, trajectories, strict=True)):
        if traj is None:
            error = errors[i] if errors is not None else None
            out.append(RunSummary(i, run.label, run.optimizer, "error" if error else "pending", None,
                                  math.nan, None, 0, error or ""))
            continue
        out.append(RunSummary(
            index=i, label=run.label, optimizer=run.optimizer, status=traj.status,
            steps_to_tolerance=steps_to_tolerance(traj.grads, tolerance),
            final_loss=float(traj.loss[traj.stop_step]),
            distance_to_minimum=distance_to_nearest(traj.points[traj.stop_step], minima),
            grad_evals=int(traj.grad_evals), message=traj.message, stop_step=int(traj.stop_step)))
    return out


def summarize_comparison(model) -> list[RunSummary]:
    """:func:`summarize` for a :class:`~explorer.model.Comparison` (its tolerance, minima and errors)."""
    return summarize(model.runs, model.trajectories, tolerance=model.tolerance,
                     minima=getattr(model, "minima", ()), errors=getattr(model, "errors", None))


ZERO = 5e-10            # |value| below this is shown as "≈ 0": round-off, not a number a person should read
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def for_people(value: float | None, digits: int = 4) -> str:
    """A number as a person reads it: ``digits`` significant digits, no trailing zeros, a real minus sign.

    ``-3.77e-15`` → ``"≈ 0"``, ``60.7333333333333`` → ``"60.73"``, ``0.000012`` → ``"1.2 × 10⁻⁵"``,
    ``2.5e7`` → ``"2.5 × 10⁷"``; None → ``"—"``; inf → ``"∞"``; nan → ``"undefined"``.
    Tables keep the exact value for sorting and CSV; this is only what is shown.
    """
    if value is None:
        return "—"
    value = float(value)
    if math.isnan(value):
        return "undefined"
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    if abs(value) < ZERO:
        return "≈ 0"
    sign = "−" if value < 0 else ""
    magnitude = abs(value)
    exponent = math.floor(math.log10(magnitude))
    if -4 <= exponent < 6:
        text = f"{magnitude:.{max(digits - 1 - exponent, 0)}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return sign + text
    mantissa = f"{magnitude / 10.0 ** exponent:.{digits - 1}f}".rstrip("0").rstrip(".")
    if mantissa == "10":     # 9.9996e-5 rounds up to the next power of ten
        mantissa, exponent = "1", exponent + 1
    power = f"10{str(exponent).translate(_SUPERSCRIPT)}"
    return f"{sign}{power}" if mantissa == "1" else f"{sign}{mantissa} × {power}"


def outcome_words(status: str, stop_step: int) -> str:
    """How a run ended, in words: "converged at step 37", "diverged at step 12", "ran all 600 steps"."""
    if status == "converged":
        return f"converged at step {stop_step}"
    if status == "diverged":
        return f"diverged at step {stop_step}"
    if status == "max_steps":
        return f"ran all {stop_step} steps"
    if status == "pending":
        return "computing…"
    return status


def format_number(value: float | None) -> str:
    """Cell text: "—" for None, 6 significant digits otherwise (nan/inf as written by Python)."""
    return "—" if value is None else f"{value:.6g}"


def summary_cells(row: RunSummary) -> list[str]:
    """The text cells of one row, in :data:`SUMMARY_HEADER` order, for people (see :func:`for_people`)."""
    steps = "never" if row.steps_to_tolerance is None else str(row.steps_to_tolerance)
    status = row.message if row.status == "error" else outcome_words(row.status, row.stop_step)
    return [str(row.index), row.label, row.optimizer, status, steps, for_people(row.final_loss),
            for_people(row.distance_to_minimum), str(row.grad_evals)]


def write_summary_csv(rows: Sequence[RunSummary], path: str | Path) -> None:
    """The summary as CSV with :data:`SUMMARY_HEADER` (numbers written exactly, by ``repr``)."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(SUMMARY_HEADER)
        for r in rows:
            writer.writerow([r.index, r.label, r.optimizer, r.status,
                             "never" if r.steps_to_tolerance is None else r.steps_to_tolerance,
                             repr(r.final_loss), "" if r.distance_to_minimum is None else repr(r.distance_to_minimum),
                             r.grad_evals])
