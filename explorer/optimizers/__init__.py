"""Optimizers as pure ``init``/``update`` pairs over (n_starts, d) numpy arrays (optax style).

The torch-named ones (sgd, adagrad, rmsprop, adadelta, adam, adamw, nadam, radam, adamax, lbfgs) follow
torch.optim 2.13 exactly: names, defaults, order of operations. ``newton``, ``lion``, ``qhm`` and
``qhadam`` follow their papers. Use :func:`make_optimizer`; :data:`OPTIMIZERS` describes each for the UI.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ._base import Optimizer
from .adadelta import adadelta
from .adagrad import adagrad
from .adam import adam, adamw
from .adamax import adamax
from .lbfgs import lbfgs
from .lion import lion
from .nadam import nadam
from .newton import newton
from .qh import qhadam, qhm
from .radam import radam
from .rmsprop import rmsprop
from .sgd import sgd

__all__ = ["OPTIMIZERS", "Optimizer", "OptimizerInfo", "make_optimizer"]


@dataclass(frozen=True)
class OptimizerInfo:
    """What the UI shows about one optimizer.

    description : one line for a learner.
    defaults : every hyperparameter with its default (torch names).
    tunable : the hyperparameters worth a control in the UI, ``lr`` first.
    factory : the function behind :func:`make_optimizer`.
    source : where the update rule comes from.
    """

    name: str
    description: str
    defaults: dict[str, Any]
    tunable: tuple[str, ...]
    factory: Callable[..., Optimizer] = field(repr=False)
    source: str = ""


def _info(factory, description, tunable, source):
    defaults = {name: p.default for name, p in inspect.signature(factory).parameters.items()}
    return OptimizerInfo(factory.__name__, description, defaults, tuple(tunable), factory, source)


_TORCH = "torch.optim 2.13"
OPTIMIZERS: dict[str, OptimizerInfo] = {info.name: info for info in (
    _info(sgd, "Step straight down the gradient; momentum adds a velocity that builds up along the valley.",
          ("lr", "momentum", "nesterov", "dampening", "weight_decay"), f"{_TORCH} SGD"),
    _info(adagrad, "Divides each coordinate's step by the root of all its past squared gradients.",
          ("lr", "lr_decay", "initial_accumulator_value", "eps", "weight_decay"),
          f"{_TORCH} Adagrad; Duchi et al. 2011"),
    _info(rmsprop, "Like Adagrad but forgets old gradients: steps scaled by a running RMS of the gradient.",
          ("lr", "alpha", "momentum", "centered", "eps", "weight_decay"), f"{_TORCH} RMSprop; Hinton 2012"),
    _info(adadelta, "Step size from the ratio of recent update and gradient sizes: needs no learning rate.",
          ("lr", "rho", "eps", "weight_decay"), f"{_TORCH} Adadelta; Zeiler 2012"),
    _info(adam, "Momentum plus RMSprop scaling, with bias correction for the first steps.",
          ("lr", "betas", "eps", "weight_decay", "amsgrad", "decoupled_weight_decay"),
          f"{_TORCH} Adam; Kingma & Ba 2015"),
    _info(adamw, "Adam whose weight decay shrinks the parameters directly instead of adding to the gradient.",
          ("lr", "betas", "weight_decay", "eps", "amsgrad"), f"{_TORCH} AdamW; Loshchilov & Hutter 2019"),
    _info(nadam, "Adam with Nesterov's look-ahead momentum.",
          ("lr", "betas", "momentum_decay", "eps", "weight_decay", "decoupled_weight_decay"),
          f"{_TORCH} NAdam; Dozat 2016"),
    _info(radam, "Adam that starts as momentum SGD until its variance estimate can be trusted.",
          ("lr", "betas", "eps", "weight_decay", "decoupled_weight_decay"),
          f"{_TORCH} RAdam; Liu et al. 2020"),
    _info(adamax, "Adam with the infinity norm: steps scaled by the largest recent gradient.",
          ("lr", "betas", "eps", "weight_decay"), f"{_TORCH} Adamax; Kingma & Ba 2015"),
    _info(lbfgs, "Quasi-Newton: builds a curvature estimate from the last few gradient changes.",
          ("lr", "history_size", "line_search_fn", "max_eval", "tolerance_grad", "tolerance_change"),
          f"{_TORCH} LBFGS (max_iter=1); Nocedal 1980"),
    _info(newton, "Jumps to the minimum of the local quadratic model, using the exact Hessian (saddle-free).",
          ("lr", "damping"), "Dauphin et al. 2014"),
    _info(lion, "Moves every coordinate by the same amount, in the direction of the sign of its momentum.",
          ("lr", "betas", "weight_decay"), "Chen et al. 2023"),
    _info(qhm, "Averages a plain gradient step with a momentum step (weight nu on the momentum).",
          ("lr", "momentum", "nu", "weight_decay"), "Ma & Yarats 2019"),
    _info(qhadam, "QHM's averaging of gradient and momentum applied inside Adam.",
          ("lr", "betas", "nus", "eps", "weight_decay"), "Ma & Yarats 2019"),
)}


def make_optimizer(name: str, **hyperparams) -> Optimizer:
    """The optimizer called ``name`` with ``hyperparams`` (torch.optim names); omitted ones take defaults.

    Raises ValueError for an unknown name or hyperparameter (with a "did you mean" hint) or a value out of
    range (naming the hyperparameter and the allowed range).
    """
    info = OPTIMIZERS.get(name)
    if info is None:
        raise ValueError(f"unknown optimizer {name!r}{_hint(name, OPTIMIZERS)}; "
                         f"choose one of {', '.join(OPTIMIZERS)}")
    for key in hyperparams:
        if key not in info.defaults:
            raise ValueError(f"{name} has no hyperparameter {key!r}{_hint(key, info.defaults)}; "
                             f"it takes {', '.join(info.defaults)}")
    return info.factory(**hyperparams)


def _hint(word, choices) -> str:
    close = difflib.get_close_matches(str(word).lower(), list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
