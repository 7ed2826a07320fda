"""Gradient Descent Explorer's core: expressions, surfaces, optimizers, simulation, presets (no Qt).

Everything a script or a test needs is re-exported here; the window (``widgets/``) is built on the same API.
"""

from explorer.basins import BasinMap, basin_map
from explorer.critical import CriticalPoint, critical_points
from explorer.expression import ExpressionError
from explorer.optimizers import OPTIMIZERS, Optimizer, make_optimizer
from explorer.preset import (
    Preset,
    PresetError,
    SurfaceSpec,
    builtin_presets,
    load_preset,
    loads_preset,
    resolve_preset,
    save_preset,
)
from explorer.runs import Noise, RunSpec, Schedule
from explorer.simulation import BatchResult, Cancelled, Trajectory, run_batch, simulate, simulate_run
from explorer.surface import Surface, compile_surface
from explorer.sweep import SweepResult, lr_sweep

__version__ = "0.1.0"

__all__ = [
    "OPTIMIZERS", "BasinMap", "BatchResult", "Cancelled", "CriticalPoint", "ExpressionError", "Noise",
    "Optimizer", "Preset",
    "PresetError", "RunSpec", "Schedule", "Surface", "SurfaceSpec", "SweepResult", "Trajectory", "__version__",
    "basin_map", "builtin_presets", "compile_surface", "critical_points", "load_preset", "loads_preset",
    "lr_sweep", "make_optimizer", "resolve_preset", "run_batch", "save_preset", "simulate", "simulate_run",
]
