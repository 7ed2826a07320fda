"""Reproducible additive Gaussian gradient noise ("stochastic" gradients)."""

from __future__ import annotations

import numpy as np


class GradientNoise:
    """Adds ``std * N(0, I)`` to each gradient; the same (std, seed, n) gives the same sequence every run.

    std : standard deviation (>= 0; 0 returns gradients unchanged).
    seed : seed for ``np.random.default_rng``.
    n : number of starts; each call draws an (n, d) sample for an (n, d) gradient.
    """

    def __init__(self, std: float, seed: int = 0, n: int = 1):
        std = float(std)
        if not np.isfinite(std) or std < 0:
            raise ValueError(f"noise std must be >= 0, got {std:g}")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"noise seed must be an integer >= 0, got {seed!r}")
        self.std, self.seed, self.n = std, int(seed), int(n)
        self._rng = np.random.default_rng(self.seed)

    def draw(self, shape) -> np.ndarray:
        """The next ``std * N(0, 1)`` samples, shaped ``shape``; (k, n, d) is the same stream as k calls."""
        noise = self._rng.standard_normal(shape)
        noise *= self.std
        return noise

    def __call__(self, grad: np.ndarray) -> np.ndarray:
        """grad (n, d) -> grad + noise, a new array (the input is not mutated)."""
        if self.std == 0:
            return grad
        noise = self.draw(np.shape(grad))
        with np.errstate(all="ignore"):
            noise += grad
        return noise

    def reset(self) -> None:
        """Start the sequence again from ``seed``."""
        self._rng = np.random.default_rng(self.seed)
