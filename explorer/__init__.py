"""Gradient Descent Explorer's core: expressions, surfaces, optimizers, simulation, presets (no Qt).

Everything a script or a test needs is re-exported here; the window (``widgets/``) is built on the same API.
The names are imported on first use (PEP 562), so ``import explorer.expression`` alone stays light: the
compile worker and the command line start without loading the compiled engine.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "BasinMap": "basins", "basin_map": "basins",
    "CriticalPoint": "critical", "critical_points": "critical",
    "ExpressionError": "expression",
    "OPTIMIZERS": "optimizers", "Optimizer": "optimizers", "make_optimizer": "optimizers",
    "Preset": "preset", "PresetError": "preset", "SurfaceSpec": "preset", "builtin_presets": "preset",
    "load_preset": "preset", "loads_preset": "preset", "resolve_preset": "preset", "save_preset": "preset",
    "Batch": "runs", "Noise": "runs", "RunSpec": "runs", "Schedule": "runs",
    "BatchResult": "simulation", "Cancelled": "simulation", "Trajectory": "simulation", "run_batch": "simulation",
    "simulate": "simulation", "simulate_run": "simulation",
    "Dataset": "data", "DataError": "data", "read_csv": "data",
    "Surface": "surface", "compile_surface": "surface",
    "SweepResult": "sweep", "lr_sweep": "sweep",
    "SliceSpec": "slicing", "SlicePlane": "slicing", "resolve_slice": "slicing", "find_anchor": "slicing",
    "SliceSurface": "slice_surface", "project_path": "slice_surface",
    "check_defined": "surface", "DataSpec": "preset_schema",
}

__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'explorer' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"explorer.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
