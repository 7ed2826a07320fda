"""Gradient Descent Explorer's core: expressions, surfaces, optimizers, simulation, presets (no Qt)."""

from explorer.expression import ExpressionError
from explorer.surface import Surface, compile_surface

__version__ = "0.1.0"

__all__ = ["ExpressionError", "Surface", "compile_surface", "__version__"]
