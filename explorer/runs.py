"""What one racer is: the optimizer, its hyperparameters and where it starts.

These are plain, immutable descriptions. The preset loader produces them, the window edits them (by
replacing), and :mod:`explorer.simulation` turns one into a :class:`~explorer.simulation.Trajectory`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Colour-blind-safe qualitative palette (Okabe & Ito, "Color Universal Design", 2008), ordered so the first
# few are the most distinct on a projector; black is left out because it vanishes on dark colour maps.
PALETTE = (
    "#e69f00",  # orange
    "#56b4e9",  # sky blue
    "#009e73",  # bluish green
    "#f0e442",  # yellow
    "#0072b2",  # blue
    "#d55e00",  # vermillion
    "#cc79a7",  # reddish purple
    "#ffffff",  # white
)


@dataclass(frozen=True)
class Noise:
    """Additive Gaussian noise on every gradient: ``g + std * N(0, I)``, drawn from ``seed``."""

    std: float = 0.0
    seed: int = 0


@dataclass(frozen=True)
class Schedule:
    """A learning-rate schedule with torch.optim.lr_scheduler semantics.

    kind : "step" (StepLR: step_size, gamma=0.1), "exponential" (ExponentialLR: gamma),
        "cosine" (CosineAnnealingLR: T_max, eta_min=0), "linear" (LinearLR warm-up: start_factor=1/3,
        end_factor=1.0, total_iters=5).
    args : the torch keyword arguments for that scheduler.
    """

    kind: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Batch:
    """Minibatches over a comparison's data (ignored without data); ``None`` on a run means full batch.

    One ``numpy.random.default_rng(seed)`` per run; at the start of each epoch ``order = rng.permutation(n)``
    (``numpy.arange(n)`` without ``shuffle``); step k uses the next consecutive slice of ``order`` of ``size``
    rows. A shorter last slice is used unless ``drop_last``, in which case the epoch ends early. The optimizer
    sees the batch mean of the per-example gradients (for a "sum" loss: n times that mean).
    """

    size: int
    shuffle: bool = True
    drop_last: bool = False
    seed: int = 0


@dataclass(frozen=True)
class RunSpec:
    """One racer.

    optimizer : registry name, e.g. "adam" (see :data:`explorer.optimizers.OPTIMIZERS`).
    params : torch.optim keyword arguments; omitted ones take the optimizer's defaults.
    start : starting point, one number per variable.
    steps : this run's step budget, or None for the comparison's default.
    color : "#rrggbb", or None to take the palette colour for the run's index.
    batch : minibatch settings for a comparison with data, or None for full batch.
    """

    label: str
    optimizer: str
    start: tuple[float, ...]
    params: dict[str, Any] = field(default_factory=dict)
    steps: int | None = None
    color: str | None = None
    noise: Noise | None = None
    schedule: Schedule | None = None
    visible: bool = True
    batch: Batch | None = None

    def __hash__(self) -> int:  # params/args are dicts; identity of content is what matters
        return hash((self.label, self.optimizer, self.start, repr(sorted(self.params.items())), self.steps,
                     self.color, self.noise, repr(self.schedule), self.visible, self.batch))
