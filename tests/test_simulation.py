"""The simulation engine: what a racer records, when it stops and why, and many starts at once."""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest

from explorer import simulation
from explorer.data import Dataset
from explorer.optimizers import make_optimizer
from explorer.runs import Batch, Noise, RunSpec, Schedule
from explorer.schedules import make_schedule
from explorer.simulation import BatchResult, Cancelled, Trajectory, run_batch, simulate, simulate_run
from explorer.surface import compile_surface

ROSENBROCK = "(1 - x)^2 + 100(y - x^2)^2"
VIEW = ((-2.0, 2.0), (-2.0, 2.0))


@pytest.fixture(scope="module")
def rosenbrock():
    return compile_surface(ROSENBROCK)


@pytest.fixture(scope="module")
def bowl():
    return compile_surface("x^2 + y^2")


@pytest.fixture(scope="module")
def valley():
    return compile_surface("x^2 + 10 y^2")  # Hessian diag(2, 20): λmax = 20, plain GD is stable for lr < 0.1


def test_trajectory_records_every_step(rosenbrock):
    run = RunSpec("Adam", "adam", (-1.5, 2.0), {"lr": 0.05})
    t = simulate_run(rosenbrock, run, steps=40, tolerance=0, bounds=VIEW)
    assert isinstance(t, Trajectory) and t.run is run
    assert (t.status, t.stop_step, t.message) == ("max_steps", 40, "ran 40 steps")
    assert t.points.shape == (41, 2) and t.loss.shape == (41,) and t.grads.shape == (41, 2)
    assert t.updates.shape == (40, 2) and t.lrs.shape == (40,)
    np.testing.assert_array_equal(t.points[0], [-1.5, 2.0])
    np.testing.assert_allclose(t.loss, rosenbrock.value(t.points), rtol=1e-13)
    np.testing.assert_allclose(t.grads, rosenbrock.gradient(t.points), rtol=1e-13)
    np.testing.assert_allclose(t.updates, np.diff(t.points, axis=0), rtol=1e-13, atol=1e-15)
    np.testing.assert_array_equal(t.lrs, 0.05)
    assert t.internals and all(v.shape == (41, 2) for v in t.internals.values())
    assert t.grad_evals == 41
    assert t.loss[-1] < t.loss[0]


def test_internals_row_zero_is_the_initial_state(rosenbrock):
    t = simulate_run(rosenbrock, RunSpec("Adam", "adam", (-1.5, 2.0), {"lr": 0.05}), steps=5, tolerance=0)
    for v in t.internals.values():
        np.testing.assert_array_equal(v[0], 0.0)  # Adam's moments start at zero
        assert np.any(v[1] != 0.0)


def test_gradient_descent_on_a_bowl_converges_at_the_step_computed_by_hand(bowl):
    # f = x² + y², lr = 1/4: x_{k+1} = x_k - ½·x_k = x_k / 2, so ‖∇f(x_k)‖ = 2‖x_0‖ / 2^k (exact in binary).
    # From (1, 0) with tolerance 1e-8: 2 / 2^k ≤ 1e-8 first at k = ceil(log2(2e8)) = 28.
    expected = math.ceil(math.log2(2e8))
    t = simulate_run(bowl, RunSpec("GD", "sgd", (1.0, 0.0), {"lr": 0.25}), steps=500, tolerance=1e-8)
    assert (t.status, t.stop_step) == ("converged", expected)
    assert t.message == f"converged at step {expected}"
    assert np.linalg.norm(t.grads[-1]) <= 1e-8 < np.linalg.norm(t.grads[-2])


def test_a_start_at_the_minimum_has_converged_at_step_zero(bowl):
    t = simulate_run(bowl, RunSpec("GD", "sgd", (0.0, 0.0), {"lr": 0.1}), steps=100)
    assert (t.status, t.stop_step, t.message) == ("converged", 0, "converged at step 0")
    assert t.points.shape == (1, 2) and t.updates.shape == (0, 2) and t.lrs.shape == (0,)
    assert all(v.shape == (1, 2) for v in t.internals.values())


def test_tolerance_zero_never_stops_early(bowl):
    t = simulate_run(bowl, RunSpec("GD", "sgd", (0.0, 0.0), {"lr": 0.1}), steps=30, tolerance=0)
    assert (t.status, t.stop_step, t.message) == ("max_steps", 30, "ran 30 steps")


def _first_step_leaving(factor: float, y0: float, reach: float) -> int:
    """Smallest k with |y0 · factor^k| > reach, by hand."""
    return math.floor(math.log(reach / abs(y0)) / math.log(abs(factor))) + 1


def test_too_large_a_learning_rate_leaves_the_view_at_the_predicted_step(valley):
    # Plain GD on f = x² + 10y² multiplies y by (1 - 20·lr) each step; lr = 1 (ten times 2/λmax = 0.1) gives
    # |y_k| = 19^k. The view [-2, 2]² enlarged 100x about its centre is |x|, |y| ≤ 200: 19² = 361 > 200.
    expected = _first_step_leaving(1 - 20 * 1.0, 1.0, 200.0)
    assert expected == 2
    t = simulate_run(valley, RunSpec("GD", "sgd", (0.5, 1.0), {"lr": 1.0}), steps=500, bounds=VIEW)
    assert (t.status, t.stop_step) == ("diverged", expected)
    assert t.message == f"diverged at step {expected}: left the view far behind"
    np.testing.assert_allclose(t.points[:, 1], [1.0, -19.0, 361.0])


def test_without_a_view_divergence_is_the_loss_overflowing_with_no_warning(valley):
    # |y_k| = 19^k and x stays ±0.5, so the loss 0.25 + 10·19^(2k) first overflows float64 at this k:
    big = np.finfo(float).max
    expected = math.floor(math.log((big - 0.25) / 10) / (2 * math.log(19))) + 1
    assert expected == 121
    t = simulate_run(valley, RunSpec("GD", "sgd", (0.5, 1.0), {"lr": 1.0}), steps=500)  # -W error: no warning
    assert (t.status, t.stop_step) == ("diverged", expected)
    assert t.message == f"diverged at step {expected}: the loss overflowed"
    assert np.isinf(t.loss[-1]) and np.all(np.isfinite(t.loss[:-1]))


def test_a_stable_learning_rate_runs_out_of_steps(valley):
    t = simulate_run(valley, RunSpec("GD", "sgd", (1.0, 1.0), {"lr": 0.001}), steps=25, bounds=VIEW)
    assert (t.status, t.stop_step, t.message) == ("max_steps", 25, "ran 25 steps")


def test_noise_is_reproducible_by_seed_and_grads_stay_true(bowl):
    def run(seed):
        spec = RunSpec("noisy", "sgd", (1.0, 1.0), {"lr": 0.1}, noise=Noise(std=0.5, seed=seed))
        return simulate_run(bowl, spec, steps=50, tolerance=0)

    a, b, c = run(3), run(3), run(4)
    np.testing.assert_array_equal(a.points, b.points)
    assert not np.allclose(a.points, c.points)
    np.testing.assert_allclose(a.grads, 2 * a.points, rtol=1e-15)  # the true gradient, not the noisy one
    noiseless = simulate_run(bowl, RunSpec("GD", "sgd", (1.0, 1.0), {"lr": 0.1}), steps=50, tolerance=0)
    assert not np.allclose(a.points, noiseless.points)


def test_schedule_sets_each_steps_learning_rate(bowl):
    schedule = Schedule("step", {"step_size": 10, "gamma": 0.5})
    t = simulate_run(bowl, RunSpec("GD", "sgd", (1.0, 1.0), {"lr": 0.1}, schedule=schedule), steps=30,
                     tolerance=0)
    lr_at = make_schedule(schedule)
    np.testing.assert_allclose(t.lrs, [lr_at(k, 0.1) for k in range(30)])
    assert t.lrs[0] == 0.1 and t.lrs[-1] < 0.1
    # plain GD on x² + y²: each step multiplies the point by (1 - 2·lr_k)
    np.testing.assert_allclose(t.points[-1], np.prod(1 - 2 * t.lrs) * np.ones(2), rtol=1e-12)


def test_simulate_takes_steps_tolerance_and_view_from_the_preset():
    from explorer.preset_schema import Preset, SurfaceSpec

    preset = Preset(
        title="t", description="", tolerance=1e-6, steps=20,
        surface=SurfaceSpec("x^2 + 10 y^2", ((-2.0, 2.0), (-2.0, 2.0))),
        runs=(RunSpec("slow", "sgd", (1.0, 1.0), {"lr": 0.001}),
              RunSpec("own budget", "sgd", (1.0, 1.0), {"lr": 0.001}, steps=7),
              RunSpec("too fast", "sgd", (0.5, 1.0), {"lr": 1.0}),
              RunSpec("good", "sgd", (1.0, 1.0), {"lr": 0.05}, steps=1000)))
    slow, own, fast, good = simulate(preset)
    assert (slow.status, slow.stop_step) == ("max_steps", 20)
    assert (own.status, own.stop_step) == ("max_steps", 7)
    assert (fast.status, fast.stop_step) == ("diverged", 2)
    assert good.status == "converged" and np.linalg.norm(good.grads[-1]) <= 1e-6


# One configuration per optimizer family and variant.
EVERY_OPTIMIZER = [
    ("sgd", {"lr": 5e-4}), ("sgd", {"lr": 5e-4, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01}),
    ("sgd", {"lr": 5e-4, "momentum": 0.9, "nesterov": True}),
    ("adagrad", {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1}),
    ("rmsprop", {"lr": 0.01, "momentum": 0.5, "centered": True, "weight_decay": 1e-3}),
    ("adadelta", {"rho": 0.95, "weight_decay": 0.01}),
    ("adam", {"lr": 0.05}), ("adam", {"lr": 0.02, "betas": (0.8, 0.99), "weight_decay": 0.1, "amsgrad": True}),
    ("adam", {"lr": 0.05, "weight_decay": 0.05, "decoupled_weight_decay": True}), ("adamw", {"lr": 0.05}),
    ("nadam", {"lr": 0.02, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("radam", {"lr": 0.05, "weight_decay": 0.01}), ("adamax", {"lr": 0.05, "weight_decay": 0.01}),
    ("lbfgs", {"history_size": 3}), ("lbfgs", {"line_search_fn": "strong_wolfe", "max_eval": 25}),
    ("lbfgs", {"line_search_fn": "strong_wolfe"}), ("newton", {"lr": 0.5}), ("lion", {"lr": 0.01}),
    ("qhm", {"lr": 5e-3, "momentum": 0.9}), ("qhadam", {"lr": 0.05}),
]


class _SameTapeOracle:
    """The surface's own numbers for an optimizer's update(): f and ∇f from one tape, as the engine uses."""

    def __init__(self, surface):
        self.ev = surface.evaluator

    def value(self, p):
        return self.ev.value_and_gradient(p)[0]

    def gradient(self, p):
        return self.ev.value_and_gradient(p)[1]

    def hessian(self, p):
        return self.ev.hessian(p)


@pytest.mark.parametrize("optimizer, params", EVERY_OPTIMIZER,
                         ids=[f"{o}-{i}" for i, (o, _) in enumerate(EVERY_OPTIMIZER)])
def test_a_recorded_run_is_the_optimizer_stepped_by_hand(rosenbrock, optimizer, params):
    # The engine's compiled loop against the optimizer's own update() fed the surface's gradients step by
    # step: the same kernels in two orchestrations, so points, internals and learning rates agree exactly
    # (Newton's engine gradient comes from the Hessian tape: the last bit may differ).
    schedule = Schedule("cosine", {"T_max": 40}) if optimizer in ("adam", "sgd") else None
    run = RunSpec("racer", optimizer, (-1.5, 2.0), params, schedule=schedule)
    t = simulate_run(rosenbrock, run, steps=60, tolerance=0, bounds=VIEW)
    opt = make_optimizer(optimizer, **params)
    oracle = _SameTapeOracle(rosenbrock)
    lr_at = make_schedule(schedule)
    p = np.array([run.start])
    state = opt.init(p)
    points, internals, evals = [p[0]], [opt.internals(state)], 1
    for k in range(t.stop_step):
        p, state = opt.update(oracle.gradient(p), state, p, lr=lr_at(k, opt.hyperparams["lr"]), oracle=oracle)
        points.append(p[0])
        internals.append(opt.internals(state))
        evals += 1 + int(state.n_evals.sum())
    exact = optimizer != "newton"
    check = np.testing.assert_array_equal if exact else (
        lambda a, b, err_msg="": np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-300, err_msg=err_msg))
    check(t.points, np.array(points), err_msg="points")
    assert t.internals.keys() == internals[0].keys()
    for name in t.internals:
        check(t.internals[name], np.array([row[name][0] for row in internals]), err_msg=name)
    np.testing.assert_array_equal(t.lrs, [lr_at(k, opt.hyperparams["lr"]) for k in range(t.stop_step)])
    assert t.grad_evals == evals  # one per point plus the line search's


def test_runs_go_through_the_compiled_engine_with_no_fallback(rosenbrock, monkeypatch):
    calls = []
    real = simulation.engine.drive

    def spy(*args):
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(simulation.engine, "drive", spy)
    simulate_run(rosenbrock, RunSpec("Adam", "adam", (-1.5, 2.0), {"lr": 0.05}), steps=20)
    run_batch(rosenbrock, "sgd", {"lr": 1e-4}, np.zeros((3, 2)), 20)
    assert len(calls) >= 2

    def broken(*args):
        raise RuntimeError("compiled engine unavailable")

    monkeypatch.setattr(simulation.engine, "drive", broken)
    for call in (lambda: simulate_run(rosenbrock, RunSpec("Adam", "adam", (-1.5, 2.0)), steps=5),
                 lambda: run_batch(rosenbrock, "adam", {}, np.zeros((2, 2)), 5)):
        with pytest.raises(RuntimeError, match="compiled engine unavailable"):
            call()


def test_a_loss_undefined_past_a_boundary_diverges_with_a_message():
    surface = compile_surface("log(x) + y^2")  # log of a negative number is nan, never an exception
    run = RunSpec("Adam", "adam", (0.05, 1.0), {"lr": 0.1})
    t = simulate_run(surface, run, steps=100)
    assert t.status == "diverged"
    assert t.message == f"diverged at step {t.stop_step}: the loss became undefined (nan)"
    assert t.points[-1, 0] <= 0 < t.points[-2, 0]


def test_line_search_and_newton_count_their_gradient_evaluations(rosenbrock):
    t = simulate_run(rosenbrock, RunSpec("L-BFGS", "lbfgs", (-1.5, 2.0), {"line_search_fn": "strong_wolfe"}),
                     steps=100, bounds=VIEW)
    assert t.grad_evals > t.stop_step + 1  # one per point plus the line search's own
    t = simulate_run(rosenbrock, RunSpec("Newton", "newton", (-1.5, 2.0), {}), steps=100, bounds=VIEW)
    assert t.status == "converged" and t.grad_evals == t.stop_step + 1


# ---------------------------------------------------------------------------------------------------------
# run_batch


def _batch_matches_runs(surface, optimizer, params, starts, steps, schedule=None, **kw):
    result = run_batch(surface, optimizer, params, starts, steps, schedule=schedule, **kw)
    assert isinstance(result, BatchResult)
    for i, start in enumerate(starts):
        p = {k: (v[i] if isinstance(v, np.ndarray) else v) for k, v in params.items()}
        run = RunSpec("", optimizer, tuple(start), p, schedule=schedule)
        t = simulate_run(surface, run, steps=steps, **kw)
        assert (result.status[i], result.steps[i]) == (t.status, t.stop_step), i
        np.testing.assert_allclose(result.final[i], t.points[-1], rtol=1e-12)
        np.testing.assert_allclose(result.final_loss[i], t.loss[-1], rtol=1e-12)
    return result


def test_batch_matches_single_runs_start_by_start(valley):
    starts = np.array([[0.0, 0.0], [1.0, 1.0], [0.5, 1.0], [-1.0, 0.25], [1e-9, 0.0]])
    r = _batch_matches_runs(valley, "sgd", {"lr": 0.09}, starts, 50, tolerance=1e-8, bounds=VIEW)
    assert set(r.status) == {"converged", "max_steps"}
    r = _batch_matches_runs(valley, "sgd", {"lr": 0.11}, starts, 300, tolerance=1e-8, bounds=VIEW)
    assert set(r.status) == {"converged", "diverged"}


def test_batch_adam_matches_single_runs_on_rosenbrock(rosenbrock):
    starts = np.array([[-1.5, 2.0], [1.0, 1.0], [0.0, 0.0], [1.5, -0.5], [50.0, 50.0]])
    r = _batch_matches_runs(rosenbrock, "adam", {"lr": 0.05}, starts, 200, tolerance=1e-3, bounds=VIEW)
    assert r.status[1] == "converged" and r.steps[1] == 0
    r = _batch_matches_runs(rosenbrock, "adam", {"lr": 0.05}, starts, 200, tolerance=0)
    assert set(r.status) == {"max_steps"}
    r = _batch_matches_runs(rosenbrock, "adamw", {"lr": np.array([0.1, 0.05, 0.02, 0.01, 0.2])}, starts, 200,
                            schedule=Schedule("cosine", {"T_max": 200}), tolerance=1e-6, bounds=VIEW)


@pytest.mark.parametrize("optimizer, params", [
    ("lbfgs", {"line_search_fn": "strong_wolfe"}), ("lbfgs", {"history_size": 3}), ("newton", {}),
    ("rmsprop", {"lr": 0.01, "momentum": 0.5, "centered": True}), ("sgd", {"lr": 5e-4, "momentum": 0.9}),
    ("adam", {"lr": 0.02, "betas": (0.3, 0.99), "weight_decay": 0.1, "amsgrad": True}),
    ("adam", {"lr": 0.02, "weight_decay": 0.1, "decoupled_weight_decay": True}), ("adamw", {"lr": 0.05}),
])
def test_batch_matches_single_runs_for_other_optimizers(rosenbrock, optimizer, params):
    starts = np.array([[-1.5, 2.0], [1.0, 1.0], [0.0, 0.0], [1.5, -0.5], [-0.5, 1.5]])
    _batch_matches_runs(rosenbrock, optimizer, params, starts, 60, tolerance=1e-6, bounds=VIEW)


def test_lbfgs_starts_that_stand_still_end_where_single_runs_end():
    # Without a line search L-BFGS stops moving once g.d > -tolerance_change (here |g| ~ 3e-5, above the
    # tolerance 1e-6) and then repeats the same step to the end; the batch retires such a start at once
    # (engine.STILL). Its end (max_steps, the last step, point and loss) must be the single run's, bit for bit,
    # whatever the learning rates of the steps it skips.
    himmelblau = compile_surface("(x^2 + y - 11)^2 + (x + y^2 - 7)^2")
    box = ((-5.0, 5.0), (-5.0, 5.0))
    starts = np.array([[1.0, 1.0], [-1.0, 2.5], [4.0, 4.0], [-4.5, -4.0], [2.0, -3.0], [0.0, 0.0]])
    for params, schedule in [({"history_size": 10}, None), ({}, Schedule("cosine", {"T_max": 150})),
                             ({"lr": np.array([1.0, 0.5, 0.9, 1.0, 0.7, 1.0])}, None)]:
        r = run_batch(himmelblau, "lbfgs", params, starts, 300, tolerance=1e-6, bounds=box, schedule=schedule)
        for i, start in enumerate(starts):
            p = {k: (v[i] if isinstance(v, np.ndarray) else v) for k, v in params.items()}
            t = simulate_run(himmelblau, RunSpec("", "lbfgs", tuple(start), p, schedule=schedule), steps=300,
                             tolerance=1e-6, bounds=box)
            assert (r.status[i], r.steps[i]) == (t.status, t.stop_step), i
            np.testing.assert_array_equal(r.final[i], t.points[-1])
            assert r.final_loss[i] == t.loss[-1]
        assert list(r.status[:5]) == ["max_steps"] * 5 and r.status[5] == "diverged"
    t = simulate_run(himmelblau, RunSpec("", "lbfgs", (1.0, 1.0), {}), steps=300, tolerance=1e-6, bounds=box)
    np.testing.assert_array_equal(t.points[50:], np.repeat(t.points[-1:], 251, axis=0))  # it stood still
    # the whole basin map's grid, group by group: sampled starts against their single runs
    side = np.linspace(-5, 5, 200)
    grid = np.stack(np.meshgrid(side, side), axis=-1).reshape(-1, 2)
    r = run_batch(himmelblau, "lbfgs", {"history_size": 10}, grid, 500, tolerance=1e-6, bounds=box)
    for i in np.random.default_rng(3).choice(len(grid), 40, replace=False):
        t = simulate_run(himmelblau, RunSpec("", "lbfgs", tuple(grid[i]), {"history_size": 10}), steps=500,
                         tolerance=1e-6, bounds=box)
        assert (r.status[i], r.steps[i]) == (t.status, t.stop_step), i
        np.testing.assert_array_equal(r.final[i], t.points[-1])
    assert (r.status == "max_steps").sum() > 30_000


def test_batch_with_one_learning_rate_per_start(valley):
    starts = np.tile([[0.5, 1.0]], (4, 1))
    lrs = np.array([0.001, 0.05, 0.099, 0.2])
    r = _batch_matches_runs(valley, "sgd", {"lr": lrs}, starts, 200, tolerance=1e-6, bounds=VIEW)
    assert list(r.status) == ["max_steps", "converged", "max_steps", "diverged"]


def test_adam_batch_with_one_learning_rate_per_start_is_bit_for_bit_each_run(rosenbrock):
    # Adam computes its step size once for a block of lanes that share lr, once per lane otherwise: both
    # must give each start's own run exactly
    starts = np.array([[-1.5, 2.0], [0.5, 0.5], [1.2, -0.4], [-0.3, 1.7], [0.9, 0.8]] * 3)
    lrs = np.repeat([0.001, 0.02, 0.3], 5)
    r = run_batch(rosenbrock, "adam", {"lr": lrs}, starts, 300, tolerance=0, bounds=VIEW)
    for i, start in enumerate(starts):
        t = simulate_run(rosenbrock, RunSpec("", "adam", tuple(start), {"lr": lrs[i]}), steps=300, tolerance=0,
                         bounds=VIEW)
        np.testing.assert_array_equal(r.final[i], t.points[-1])
    shared = run_batch(rosenbrock, "adam", {"lr": 0.02}, starts[5:10], 300, tolerance=0, bounds=VIEW)
    np.testing.assert_array_equal(shared.final, r.final[5:10])


def test_batch_stopping_at_many_different_steps_matches_single_runs(valley):
    rng = np.random.default_rng(1)
    starts = rng.uniform(-2, 2, (60, 2))
    lrs = rng.uniform(0.03, 0.12, 60)  # 2/λmax = 0.1: most converge at different steps, some diverge
    r = _batch_matches_runs(valley, "sgd", {"lr": lrs}, starts, 150, tolerance=1e-6, bounds=VIEW)
    assert {"converged", "diverged", "max_steps"} == set(r.status)
    assert len(set(r.steps[r.status == "converged"])) > 10


def test_batch_of_65536_starts_keeps_only_end_points(rosenbrock):
    side = np.linspace(-2, 2, 256)
    starts = np.stack(np.meshgrid(side, side), axis=-1).reshape(-1, 2)
    steps = 100
    tracemalloc.start()
    try:
        r = run_batch(rosenbrock, "adam", {"lr": 0.01}, starts, steps, bounds=VIEW)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    n = len(starts)
    assert r.final.shape == (n, 2) and r.final_loss.shape == (n,) and r.status.shape == (n,)
    assert r.steps.shape == (n,) and r.steps.dtype.kind == "i"
    assert set(r.status) <= {"converged", "diverged", "max_steps"}
    every_step = (steps + 1) * n * 2 * 8  # what storing every point would take: 105 MB
    assert peak < every_step / 4, f"peak {peak / 1e6:.0f} MB"
    assert np.all(r.final_loss[r.status == "max_steps"] < rosenbrock.value(starts)[r.status == "max_steps"])


def test_batch_reports_progress_and_can_be_cancelled(bowl):
    starts = np.ones((10, 2))
    seen = []
    run_batch(bowl, "sgd", {"lr": 1e-4}, starts, 1000, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) > 10

    polls = []

    def cancel():
        polls.append(1)
        return len(polls) >= 3

    with pytest.raises(Cancelled):
        run_batch(bowl, "sgd", {"lr": 1e-4}, starts, 1000, cancel=cancel)
    assert len(polls) == 3


def test_batch_tolerance_zero_and_noise(bowl):
    starts = np.zeros((3, 2))
    r = run_batch(bowl, "sgd", {"lr": 0.1}, starts, 10, tolerance=0)
    assert list(r.status) == ["max_steps"] * 3 and list(r.steps) == [10] * 3
    a = run_batch(bowl, "sgd", {"lr": 0.1}, starts, 10, tolerance=0, noise=Noise(0.1, 7))
    b = run_batch(bowl, "sgd", {"lr": 0.1}, starts, 10, tolerance=0, noise=Noise(0.1, 7))
    np.testing.assert_array_equal(a.final, b.final)
    assert np.all(a.final != 0) and not np.allclose(a.final[0], a.final[1])


# ---------------------------------------------------------------------------------------------------------
# Data and minibatches (issue 12's semantics, checked against an independent numpy computation)


@pytest.fixture(scope="module")
def regression():
    rng = np.random.default_rng(11)
    x = rng.normal(size=10)
    rows = np.column_stack([x, 1.5 * x - 0.5 + 0.3 * rng.normal(size=10)])
    data = Dataset(("u", "v"), rows)
    return {reduction: compile_surface("(w u + b - v)^2", variables=("w", "b"), data=data, reduction=reduction)
            for reduction in ("mean", "sum")}, rows


def _by_hand(rows, batch, steps, lr, start, reduction):
    """Minibatch SGD on (w u + b - v)^2, written out with numpy: the issue-12 recipe, step by step."""
    u, v = rows[:, 0], rows[:, 1]
    n = len(rows)
    rng = np.random.default_rng(batch.seed)
    per_epoch = n // batch.size if batch.drop_last else -(-n // batch.size)
    p = np.array(start, dtype=float)
    points, batch_loss, batch_grads, used = [p.copy()], [], [], []
    for k in range(steps):
        if k % per_epoch == 0:
            order = rng.permutation(n) if batch.shuffle else np.arange(n)
        chosen = order[(k % per_epoch) * batch.size:(k % per_epoch + 1) * batch.size]
        r = p[0] * u[chosen] + p[1] - v[chosen]
        scale = n if reduction == "sum" else 1.0
        g = scale * np.array([np.mean(2 * r * u[chosen]), np.mean(2 * r)])
        batch_loss.append(scale * np.mean(r * r))
        batch_grads.append(g)
        used.append(chosen)
        p = p - lr * g
        points.append(p.copy())
    return np.array(points), np.array(batch_loss), np.array(batch_grads), used


@pytest.mark.parametrize("batch, reduction", [
    (Batch(4, shuffle=True, drop_last=False, seed=7), "mean"),
    (Batch(4, shuffle=True, drop_last=True, seed=3), "mean"),
    (Batch(3, shuffle=False), "mean"),
    (Batch(4, seed=5), "sum"),
    (Batch(1, seed=2), "mean"),
])
def test_minibatch_sgd_follows_the_recipe_exactly(regression, batch, reduction):
    surfaces, rows = regression
    lr = 0.05 if reduction == "mean" else 0.005
    run = RunSpec("sgd", "sgd", (0.0, 0.0), {"lr": lr}, batch=batch)
    t = simulate_run(surfaces[reduction], run, steps=13, tolerance=0)
    points, loss, grads, used = _by_hand(rows, batch, 13, lr, (0.0, 0.0), reduction)
    np.testing.assert_allclose(t.points, points, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(t.batch.loss, loss, rtol=1e-12)
    np.testing.assert_allclose(t.batch.grads, grads, rtol=1e-12, atol=1e-14)
    for k in range(13):
        np.testing.assert_array_equal(t.batch.rows(k), used[k])
    per_epoch = len(rows) // batch.size if batch.drop_last else -(-len(rows) // batch.size)
    np.testing.assert_array_equal(t.batch.epoch, np.arange(13) // per_epoch)
    # the trajectory's loss and gradient stay the full-data values
    np.testing.assert_allclose(t.loss, surfaces[reduction].value(t.points), rtol=1e-12)
    np.testing.assert_allclose(t.grads, surfaces[reduction].gradient(t.points), rtol=1e-12, atol=1e-14)


def test_full_batch_data_runs_have_no_batch_record_and_move_on_the_full_gradient(regression):
    surfaces, rows = regression
    t = simulate_run(surfaces["mean"], RunSpec("gd", "sgd", (0.0, 0.0), {"lr": 0.1}), steps=5, tolerance=0)
    assert t.batch is None
    np.testing.assert_allclose(t.updates, -0.1 * t.grads[:-1], rtol=1e-13)


def test_newton_on_a_minibatch_uses_the_batch_hessian(regression):
    # One Newton step with lr = 1 on a least-squares loss lands on the batch's own least-squares fit.
    surfaces, rows = regression
    batch = Batch(5, seed=4)
    t = simulate_run(surfaces["mean"], RunSpec("n", "newton", (0.3, -0.2), {"lr": 1.0}, batch=batch), steps=1,
                     tolerance=0)
    chosen = t.batch.rows(0)
    fit, *_ = np.linalg.lstsq(np.column_stack([rows[chosen, 0], np.ones(5)]), rows[chosen, 1], rcond=None)
    np.testing.assert_allclose(t.points[1], fit, rtol=1e-9)


def test_a_line_search_on_a_minibatch_counts_its_evaluations(regression):
    surfaces, _ = regression
    run = RunSpec("l", "lbfgs", (0.0, 0.0), {"line_search_fn": "strong_wolfe", "max_eval": 10}, batch=Batch(4))
    t = simulate_run(surfaces["mean"], run, steps=12, tolerance=0)
    assert t.grad_evals > t.stop_step + 1 and np.all(np.isfinite(t.points))


def test_minibatch_settings_the_data_cannot_satisfy_are_refused(regression):
    surfaces, _ = regression
    with pytest.raises(ValueError, match="batch size 20 is larger than the 10 data rows and drop_last is on"):
        simulate_run(surfaces["mean"], RunSpec("s", "sgd", (0.0, 0.0), batch=Batch(20, drop_last=True)), steps=3)
    with pytest.raises(ValueError, match="batch size must be an integer >= 1"):
        simulate_run(surfaces["mean"], RunSpec("s", "sgd", (0.0, 0.0), batch=Batch(0)), steps=3)


def test_batch_of_starts_sees_the_same_minibatches_as_single_runs(regression):
    surfaces, _ = regression
    starts = np.array([[0.0, 0.0], [1.0, -1.0], [3.0, 2.0]])
    batch = Batch(3, seed=9)
    r = run_batch(surfaces["mean"], "adam", {"lr": 0.1}, starts, 40, tolerance=1e-3, batch=batch)
    for i, start in enumerate(starts):
        t = simulate_run(surfaces["mean"], RunSpec("", "adam", tuple(start), {"lr": 0.1}, batch=batch), steps=40,
                         tolerance=1e-3)
        assert (r.status[i], r.steps[i]) == (t.status, t.stop_step)
        np.testing.assert_array_equal(r.final[i], t.points[-1])


# ---------------------------------------------------------------------------------------------------------
# Any number of variables, through the same code


def test_one_variable_runs_like_two():
    parabola = compile_surface("x^2", variables=("x",))
    t = simulate_run(parabola, RunSpec("GD", "sgd", (1.0,), {"lr": 0.25}), steps=500, tolerance=1e-8)
    assert (t.status, t.stop_step) == ("converged", math.ceil(math.log2(2e8)))
    assert t.points.shape == (t.stop_step + 1, 1)
    r = run_batch(parabola, "sgd", {"lr": 0.25}, np.array([[1.0], [-4.0], [0.0]]), 500, tolerance=1e-8)
    assert r.steps[0] == t.stop_step and r.status.tolist() == ["converged"] * 3 and r.steps[2] == 0


@pytest.mark.parametrize("optimizer", ["adam", "lbfgs", "newton", "rmsprop"])
def test_ten_variables_batch_matches_single_runs(optimizer):
    names = tuple(f"x{i}" for i in range(1, 11))
    text = " + ".join(f"{i} (x{i} - {i / 10})^2" for i in range(1, 11)) + " + x1 x2"
    surface = compile_surface(text, variables=names)
    starts = np.random.default_rng(0).uniform(-1, 1, (4, 10))
    bounds = [(-2.0, 2.0)] * 10
    r = run_batch(surface, optimizer, {"lr": 0.05} if optimizer in ("adam", "rmsprop") else {}, starts, 80,
                  tolerance=1e-6, bounds=bounds)
    for i, start in enumerate(starts):
        params = {"lr": 0.05} if optimizer in ("adam", "rmsprop") else {}
        t = simulate_run(surface, RunSpec("", optimizer, tuple(start), params), steps=80, tolerance=1e-6,
                         bounds=bounds)
        assert (r.status[i], r.steps[i]) == (t.status, t.stop_step)
        np.testing.assert_array_equal(r.final[i], t.points[-1])
        assert t.points.shape[1] == 10 and all(v.shape[1] == 10 for v in t.internals.values())


def test_noise_in_a_batch_of_one_is_the_single_runs_noise(bowl):
    noise = Noise(0.3, 5)
    r = run_batch(bowl, "sgd", {"lr": 0.1}, np.ones((1, 2)), 30, tolerance=0, noise=noise)
    t = simulate_run(bowl, RunSpec("", "sgd", (1.0, 1.0), {"lr": 0.1}, noise=noise), steps=30, tolerance=0)
    np.testing.assert_array_equal(r.final[0], t.points[-1])


def test_many_starts_run_group_by_group_and_still_stop_where_single_runs_do(rosenbrock):
    # 32,768 starts: the engine runs groups of about 1% of the starts through every step (progress and
    # cancel between groups); each start must still end exactly where its own simulate_run ends.
    side = np.linspace(-2, 2, 256)
    starts = np.stack(np.meshgrid(side, side[::2]), axis=-1).reshape(-1, 2)
    seen = []
    r = run_batch(rosenbrock, "adam", {"lr": 0.05}, starts, 150, tolerance=1e-3, bounds=VIEW, progress=seen.append)
    assert len(seen) > 50 and seen == sorted(seen) and seen[-1] == 1.0
    assert {"converged", "max_steps"} <= set(r.status)
    for i in np.random.default_rng(2).choice(len(starts), 12, replace=False):
        t = simulate_run(rosenbrock, RunSpec("", "adam", tuple(starts[i]), {"lr": 0.05}), steps=150,
                         tolerance=1e-3, bounds=VIEW)
        assert (r.status[i], r.steps[i]) == (t.status, t.stop_step)
        np.testing.assert_array_equal(r.final[i], t.points[-1])
    polls = []
    with pytest.raises(Cancelled, match="cancelled after"):
        run_batch(rosenbrock, "adam", {"lr": 0.05}, starts, 150, cancel=lambda: polls.append(1) or len(polls) > 2)
