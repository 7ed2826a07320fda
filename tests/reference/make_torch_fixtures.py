"""Record reference trajectories from torch.optim (float64, one thread) for tests/test_optimizers_torch.py.

Run from the repository root with a Python that has torch (CI does not need it; the output is committed):

    /work/venv-torch/bin/python tests/reference/make_torch_fixtures.py

For every case (optimizer, torch keyword arguments, loss function, optional lr schedule) and every start in
``functions.STARTS`` it takes 200 steps and stores the 201 points. The gradient comes from the numpy
closed forms in ``functions.py`` and is handed to torch as ``param.grad``; the replay test evaluates the very
same numpy functions, so only the optimizer arithmetic is compared. LBFGS gets a closure that evaluates
the same value/gradient pair; its per-step closure-call count is stored too.

Rounding: torch's AVX2/AVX512 CPU kernels contract ``a + s * b`` (add with alpha, addcmul, lerp, dot) into
fused multiply-adds, so torch's own float64 results differ by an ulp per operation between CPU builds.
We record with ``ATEN_CPU_CAPABILITY=default`` (baseline x86-64 kernels, no FMA): torch then rounds every
multiply and add separately, as numpy does, and the trajectories agree to the last bit in most cases.

Output: ``tests/reference/torch_trajectories.npz`` with ``cases`` (a JSON string) and, per case i,
``points_i`` (n_starts, 201, 2) and, for lbfgs, ``evals_i`` (n_starts, 200) closure calls per step.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ["ATEN_CPU_CAPABILITY"] = "default"  # before torch is imported: no fused multiply-add kernels

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from functions import FUNCTIONS, STARTS  # noqa: E402

STEPS = 200
OUT = Path(__file__).resolve().parent / "torch_trajectories.npz"

# Typical learning rates per loss: plain-gradient methods need lr < 2 / lambda_max; adaptive ones take
# steps of about lr per coordinate.
SGD_LR = {"rosenbrock": 5e-4, "beale": 1e-3, "logistic": 0.5}
ADAPTIVE_LR = {"rosenbrock": 0.02, "beale": 0.02, "logistic": 0.05}


def _cases():
    cases = []
    for fn in FUNCTIONS:
        s, a = SGD_LR[fn], ADAPTIVE_LR[fn]

        def add(opt, params, schedule=None, fn=fn):
            cases.append({"optimizer": opt, "params": params, "function": fn, "schedule": schedule})

        add("sgd", {})
        add("sgd", {"lr": s, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01})
        add("sgd", {"lr": s, "momentum": 0.9, "nesterov": True})
        add("adagrad", {})
        add("adagrad", {"lr": 5 * a, "lr_decay": 0.01, "weight_decay": 1e-3, "initial_accumulator_value": 0.1,
                        "eps": 1e-8})
        add("rmsprop", {})
        add("rmsprop", {"lr": a / 2, "centered": True, "momentum": 0.9, "weight_decay": 1e-3})
        add("rmsprop", {"lr": a, "alpha": 0.9, "centered": True})
        add("rmsprop", {"lr": a / 2, "momentum": 0.5, "eps": 1e-6})
        add("adadelta", {})
        add("adadelta", {"lr": 0.5, "rho": 0.95, "eps": 1e-5, "weight_decay": 0.01})
        add("adam", {})
        add("adam", {"lr": a, "amsgrad": True})
        add("adam", {"lr": a, "weight_decay": 0.01})
        add("adam", {"lr": a, "betas": [0.8, 0.99], "eps": 1e-6, "weight_decay": 0.1, "decoupled_weight_decay": True})
        add("adamw", {})
        add("adamw", {"lr": a, "weight_decay": 0.1, "amsgrad": True})
        add("nadam", {})
        add("nadam", {"lr": a, "momentum_decay": 0.01, "weight_decay": 0.01})
        add("nadam", {"lr": a, "weight_decay": 0.1, "decoupled_weight_decay": True})
        add("radam", {})
        add("radam", {"lr": a, "weight_decay": 0.01})
        add("radam", {"lr": a, "betas": [0.9, 0.99], "weight_decay": 0.1, "decoupled_weight_decay": True})
        add("adamax", {})
        add("adamax", {"lr": a, "betas": [0.8, 0.95], "eps": 1e-6, "weight_decay": 0.01})
        add("lbfgs", {})
        add("lbfgs", {"lr": 0.5, "history_size": 2, "tolerance_grad": 1e-5})
        add("lbfgs", {"line_search_fn": "strong_wolfe"})
        add("lbfgs", {"line_search_fn": "strong_wolfe", "max_eval": 25, "history_size": 5})
        add("adam", {"lr": a}, {"kind": "step", "args": {"step_size": 50, "gamma": 0.5}})
        add("sgd", {"lr": s, "momentum": 0.9}, {"kind": "exponential", "args": {"gamma": 0.99}})
        add("adam", {"lr": a}, {"kind": "cosine", "args": {"T_max": 60, "eta_min": 1e-3}})
        add("rmsprop", {"lr": a}, {"kind": "linear", "args": {"start_factor": 0.1, "total_iters": 20}})
        add("adagrad", {"lr": 5 * a}, {"kind": "cosine", "args": {"T_max": 200}})
    return cases


TORCH_CLASSES = {
    "sgd": torch.optim.SGD, "adagrad": torch.optim.Adagrad, "rmsprop": torch.optim.RMSprop,
    "adadelta": torch.optim.Adadelta, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW,
    "nadam": torch.optim.NAdam, "radam": torch.optim.RAdam, "adamax": torch.optim.Adamax,
    "lbfgs": torch.optim.LBFGS,
}
SCHEDULERS = {
    "step": torch.optim.lr_scheduler.StepLR, "exponential": torch.optim.lr_scheduler.ExponentialLR,
    "cosine": torch.optim.lr_scheduler.CosineAnnealingLR, "linear": torch.optim.lr_scheduler.LinearLR,
}


def _run(case, start):
    oracle = FUNCTIONS[case["function"]]
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in case["params"].items()}
    if case["optimizer"] == "lbfgs":
        kwargs["max_iter"] = 1  # one L-BFGS iteration per optimizer.step(), as our update does
    else:
        kwargs["foreach"] = False  # the single-tensor code path (the CPU default) is the reference
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = TORCH_CLASSES[case["optimizer"]]([p], **kwargs)
    sched = None
    if case["schedule"]:
        sched = SCHEDULERS[case["schedule"]["kind"]](opt, **case["schedule"]["args"])
    calls = [0]

    def closure():
        xy = p.detach().numpy().copy()[None, :]
        calls[0] += 1
        p.grad = torch.from_numpy(oracle.gradient(xy)[0].copy())
        return torch.tensor(float(oracle.value(xy)[0]), dtype=torch.float64)

    points = [p.detach().numpy().copy()]
    evals = []
    for _ in range(STEPS):
        calls[0] = 0
        if case["optimizer"] == "lbfgs":
            opt.step(closure)
        else:
            closure()
            opt.step()
        evals.append(calls[0])
        if sched is not None:
            sched.step()
        points.append(p.detach().numpy().copy())
    return np.array(points), np.array(evals)


def main():
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float64)  # optimizer step counters and nadam's mu_product in float64 too
    cases = _cases()
    arrays = {}
    for i, case in enumerate(cases):
        runs = [_run(case, start) for start in STARTS[case["function"]]]
        arrays[f"points_{i}"] = np.stack([r[0] for r in runs])
        if case["optimizer"] == "lbfgs":
            arrays[f"evals_{i}"] = np.stack([r[1] for r in runs]).astype(np.int16)
    meta = {"torch_version": torch.__version__, "steps": STEPS, "cases": cases}
    np.savez_compressed(OUT, cases=np.array(json.dumps(meta)), **arrays)
    print(f"wrote {len(cases)} cases to {OUT} ({OUT.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
