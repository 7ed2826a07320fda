"""Our optimizers replay torch.optim's trajectories (recorded by tests/reference/make_torch_fixtures.py).

Each case runs every start of the case as one batch (so per-start vectorisation is exercised too) and must
stay within 1e-10 relative error of torch at all 201 points.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from explorer.optimizers import make_optimizer
from explorer.runs import Schedule
from explorer.schedules import make_schedule
from tests.reference.functions import FUNCTIONS, STARTS

FIXTURE = Path(__file__).parent / "reference" / "torch_trajectories.npz"
_DATA = np.load(FIXTURE)
_META = json.loads(str(_DATA["cases"]))
CASES = _META["cases"]


def _case_id(case):
    params = ",".join(f"{k}={v}" for k, v in case["params"].items()) or "defaults"
    sched = f"-{case['schedule']['kind']}" if case["schedule"] else ""
    return f"{case['optimizer']}-{case['function']}-{params}{sched}"


def replay(case):
    """Our trajectories for all starts of ``case`` (n_starts, steps + 1, 2) and per-step extra evaluations."""
    oracle = FUNCTIONS[case["function"]]
    opt = make_optimizer(case["optimizer"], **case["params"])
    schedule = make_schedule(Schedule(**case["schedule"]) if case["schedule"] else None)
    params = np.array(STARTS[case["function"]], dtype=np.float64)
    state = opt.init(params)
    points, evals = [params], []
    for step in range(_META["steps"]):
        lr = schedule(step, opt.hyperparams["lr"])
        params, state = opt.update(oracle.gradient(params), state, params, lr=lr, oracle=oracle)
        points.append(params)
        evals.append(getattr(state, "n_evals", np.zeros(len(params))))
    return np.stack(points, axis=1), np.stack(evals, axis=1)


@pytest.mark.parametrize("index", range(len(CASES)), ids=[_case_id(c) for c in CASES])
def test_matches_torch(index):
    case = CASES[index]
    ours, evals = replay(case)
    expected = _DATA[f"points_{index}"]
    np.testing.assert_allclose(ours, expected, rtol=1e-10, atol=0)
    if case["optimizer"] == "lbfgs":
        # torch calls the closure once per step plus once per line-search evaluation
        np.testing.assert_array_equal(evals, np.maximum(_DATA[f"evals_{index}"] - 1, 0))


def test_fixture_covers_every_torch_optimizer_on_every_function():
    seen = {(c["optimizer"], c["function"]) for c in CASES}
    torch_named = ("sgd", "adagrad", "rmsprop", "adadelta", "adam", "adamw", "nadam", "radam", "adamax",
                   "lbfgs")
    for name in torch_named:
        for fn in ("rosenbrock", "beale", "logistic"):
            assert (name, fn) in seen


def test_the_replay_runs_the_compiled_kernels_and_fails_without_them(monkeypatch):
    # update() has no second implementation to fall back on: the fixtures above pass through the compiled
    # kernels (the same ones explorer.engine.drive calls; tests/test_simulation.py checks the engine steps
    # exactly like update()). If the kernel call were skipped, the replay would no longer match torch.
    from explorer.optimizers import _dispatch

    index = next(i for i, c in enumerate(CASES) if c["optimizer"] == "adam" and c["function"] == "rosenbrock")
    calls = []
    real = _dispatch._update_all
    monkeypatch.setattr(_dispatch, "_update_all", lambda *args: calls.append(1) or real(*args))
    test_matches_torch(index)
    assert len(calls) == _META["steps"]
    monkeypatch.setattr(_dispatch, "_update_all", lambda *args: None)  # the kernel bypassed: nothing moves
    with pytest.raises(AssertionError):
        test_matches_torch(index)
