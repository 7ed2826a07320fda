"""The compiled evaluator: every function the parser accepts, against independent references; data reductions;
parameters that move without recompiling; clear errors at compile time for what the tape cannot express."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from explorer import compile_surface
from explorer.data import Dataset
from explorer.evaluate import Evaluator
from explorer.expression import FUNCTIONS, ExpressionError
from explorer.surface import Symbolic, symbolic
from explorer.tape import build_tape, eval_points

# One expression per function the parser accepts (and the forms differentiation produces from them).
EXPRESSIONS = {
    "sin": "sin(x) * y", "cos": "cos(x y)", "tan": "tan(x / 3) + y", "asin": "asin(x / 3) + y^2",
    "acos": "acos(y / 3) * x", "atan": "atan(x y)", "atan2": "atan2(y, x + 3)", "sinh": "sinh(x) - y",
    "cosh": "cosh(x - y)", "tanh": "tanh(x) * y^2", "asinh": "asinh(x y)", "acosh": "acosh(x^2 + 2) + y",
    "atanh": "atanh(x / 3) + y", "exp": "exp(-x^2 - y^2)", "log": "log(x^2 + 1) + log(y + 5, 3)",
    "ln": "ln(x + 4) * y", "log10": "log10(x^2 + y^2 + 1)", "log2": "log2(x + 5) + y",
    "sqrt": "sqrt(x^2 + y^2 + 1)", "abs": "abs(x) + y", "Abs": "Abs(x - y)", "sign": "sign(x) * y^2 + x",
    "min": "min(x, y, 0.5)", "Min": "Min(x^2, y)", "max": "max(x, y, -0.5)", "Max": "Max(x y, 0)",
    "erf": "erf(x) * y", "erfc": "erfc(x - y)", "sigmoid": "sigmoid(3x - y)", "softplus": "softplus(x y)",
    "relu": "relu(x - y) + y^2",
}


def test_every_parser_function_has_a_case():
    assert set(EXPRESSIONS) == set(FUNCTIONS)


def _reference(expr, variables, P):
    """sympy.lambdify with plain numpy: an implementation independent of the tape."""
    args = [sympy.Symbol(v, real=True) for v in variables]
    fn = sympy.lambdify(args, expr, modules=["scipy", "numpy"])
    with np.errstate(all="ignore"):
        return np.broadcast_to(np.asarray(fn(*P.T), dtype=np.float64), P.shape[:1])


@pytest.mark.parametrize("name", sorted(EXPRESSIONS))
def test_value_gradient_and_hessian_match_an_independent_numpy_evaluation(name):
    s = compile_surface(EXPRESSIONS[name])
    P = np.random.default_rng(3).uniform(-2.5, 2.5, (200, 2))
    np.testing.assert_allclose(s.value(P), _reference(s.expr, s.variable_names, P), rtol=1e-12, atol=1e-300,
                               equal_nan=True)
    g, H = s.gradient(P), s.hessian(P)
    for i, gi in enumerate(s.gradient_exprs):
        np.testing.assert_allclose(g[:, i], _reference(gi, s.variable_names, P), rtol=1e-11, atol=1e-13,
                                   equal_nan=True, err_msg=f"dF/d{s.variable_names[i]}")
        for j in range(2):
            np.testing.assert_allclose(H[:, i, j], _reference(s.hessian_exprs[i][j], s.variable_names, P),
                                       rtol=1e-11, atol=1e-12, equal_nan=True)


def test_distributions_from_differentiation_are_zero_and_heaviside_is_half_at_zero():
    s = compile_surface("abs(log(x)) + relu(y)")  # diff gives sign, re/im, Derivative(sign(..)), Heaviside
    p = np.array([[0.5, 0.0], [2.0, -1.0], [2.0, 1.0]])
    np.testing.assert_allclose(s.gradient(p), [[-2.0, 0.5], [0.5, 0.0], [0.5, 1.0]], rtol=1e-15)
    np.testing.assert_allclose(s.hessian(p)[:, 0, 0], [4.0, -0.25, -0.25], rtol=1e-15)
    assert np.all(s.hessian(p)[:, 1, 1] == 0)
    assert compile_surface("sign(x) + y").gradient([[0.0, 0.0]]).tolist() == [[0.0, 1.0]]


def test_max_and_min_propagate_nan_like_numpy():
    s = compile_surface("max(log(x), y) + min(y, sqrt(x))")
    v = s.value([[-1.0, 0.0], [1.0, 0.5]])
    assert np.isnan(v[0]) and v[1] == 0.5 + 0.5


def test_undefined_and_overflowing_values_come_back_as_nan_and_inf_without_warnings():
    s = compile_surface("exp(1000 x) + log(y) + 1/(x - 1) + acosh(y + 1)")
    v = s.value([[1.0, 2.0], [0.0, -1.0], [0.5, 0.0]])
    assert v[0] == np.inf and np.isnan(v[1]) and v[2] == -np.inf
    assert not np.all(np.isfinite(s.gradient([[1.0, 2.0]])))


def test_what_the_tape_cannot_express_is_an_expression_error_at_compile_time():
    x, y = sympy.symbols("x y", real=True)
    base = symbolic("x^2 + y^2")
    odd = Symbolic("floor", sympy.floor(x) + y, (), (sympy.S.Zero, sympy.S.One),
                   ((sympy.S.Zero, sympy.S.Zero), (sympy.S.Zero, sympy.S.Zero)), base.variables)
    with pytest.raises(ExpressionError, match="does not support floor"):
        Evaluator(odd, {})
    hidden = Symbolic("deriv", x + y, (), (sympy.Derivative(sympy.Function("u")(x), x), sympy.S.One),
                      ((sympy.S.Zero, sympy.S.Zero), (sympy.S.Zero, sympy.S.Zero)), base.variables)
    with pytest.raises(ExpressionError, match="unevaluated derivative"):
        Evaluator(hidden, {})


def test_moving_a_parameter_changes_the_numbers_without_recompiling():
    s = compile_surface("a (x - b)^2 + y^2", {"a": 2.0, "b": 1.0})
    before = len(eval_points.signatures)
    s2 = s.with_parameters({"a": 3.0, "b": -1.0})
    assert s2.evaluator._tapes is s.evaluator._tapes  # the same tapes, other register contents
    assert s.value([[0.0, 1.0]])[0] == 2.0 + 1.0 and s2.value([[0.0, 1.0]])[0] == 3.0 + 1.0
    np.testing.assert_array_equal(s2.gradient([[0.0, 0.0]]), [[6.0, 0.0]])
    assert len(eval_points.signatures) == before


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_data_losses_reduce_over_rows_like_an_explicit_loop(reduction):
    rng = np.random.default_rng(5)
    rows = rng.normal(size=(37, 2))
    data = Dataset(("u", "v"), rows)
    s = compile_surface("(w u + b - v)^2 + 0.1 w^4", variables=("w", "b"), data=data, reduction=reduction)
    P = rng.normal(size=(6, 2))
    w, b = P[:, :1], P[:, 1:]
    u, v = rows[:, 0], rows[:, 1]
    r = w * u + b - v
    per_f, per_gw, per_gb = r**2 + 0.1 * w**4, 2 * r * u + 0.4 * w**3, 2 * r
    per_hww, per_hwb, per_hbb = 2 * u**2 + 1.2 * w**2, 2 * u + 0 * w, 2 + 0 * w * u
    reduce = (lambda a: a.sum(axis=1)) if reduction == "sum" else (lambda a: a.mean(axis=1))
    np.testing.assert_allclose(s.value(P), reduce(per_f), rtol=1e-12)
    np.testing.assert_allclose(s.gradient(P), np.stack([reduce(per_gw), reduce(per_gb)], -1), rtol=1e-12)
    H = s.hessian(P)
    np.testing.assert_allclose(H[:, 0, 0], reduce(per_hww), rtol=1e-12)
    np.testing.assert_allclose(H[:, 0, 1], reduce(per_hwb), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(H[:, 1, 0], H[:, 0, 1])
    np.testing.assert_allclose(H[:, 1, 1], reduce(per_hbb), rtol=1e-12)


def test_data_gradient_matches_finite_differences_and_new_rows_need_no_recompiling():
    rng = np.random.default_rng(8)
    data = Dataset(("age", "readmitted"), np.column_stack([rng.normal(size=40), rng.integers(0, 2, 40)]))
    s = compile_surface("log(1 + exp(-(2 readmitted - 1)(w age + b)))", variables=("w", "b"), data=data)
    p = np.array([[0.3, -0.2]])
    h = 1e-6
    fd = [(s.value(p + h * e) - s.value(p - h * e))[0] / (2 * h) for e in np.eye(2)]
    np.testing.assert_allclose(s.gradient(p)[0], fd, rtol=1e-7)
    moved = s.with_data(data.with_row(0, [5.0, 1.0]))
    assert moved.evaluator._tapes is s.evaluator._tapes
    assert moved.value(p)[0] != s.value(p)[0]


def test_without_rows_a_mean_is_undefined_and_a_sum_is_zero():
    empty = Dataset(("u",), np.zeros((0, 1)))
    assert np.isnan(compile_surface("(x u)^2 + y", data=empty).value([[1.0, 1.0]])[0])
    assert compile_surface("(x u)^2 + y", data=empty, reduction="sum").value([[1.0, 1.0]])[0] == 0.0


@pytest.mark.parametrize("d", [1, 3, 10])
def test_any_number_of_variables(d):
    names = tuple(f"x{i}" for i in range(1, d + 1))
    text = " + ".join(f"{i} x{i}^2" for i in range(1, d + 1)) + " + x1"
    s = compile_surface(text, variables=names)
    P = np.random.default_rng(d).normal(size=(4, 5, d))
    coef = np.arange(1, d + 1)
    np.testing.assert_allclose(s.value(P), (coef * P**2).sum(-1) + P[..., 0], rtol=1e-13)
    expected = 2 * coef * P
    expected[..., 0] += 1
    np.testing.assert_allclose(s.gradient(P), expected, rtol=1e-13)
    np.testing.assert_array_equal(s.hessian(P), np.broadcast_to(np.diag(2.0 * coef), (4, 5, d, d)))


def test_a_long_expression_reuses_registers():
    text = " + ".join(f"({a} x + y - {b})^2" for a, b in np.random.default_rng(0).uniform(0.5, 3, (60, 2)).round(2))
    sym = symbolic(text)
    tape = build_tape([sym.expr, *sym.gradient_exprs], ("x", "y"))
    temporaries = tape.n_regs - tape.n_inputs - tape.consts.size - tape.outputs.size
    assert len(tape) > 100 and temporaries < len(tape) / 10
    np.testing.assert_array_equal(tape.outputs, tape.outputs[0] + np.arange(3))  # one contiguous block


def test_fused_instructions_give_the_same_bits_as_the_pairs_they_replace():
    # the tape folds pairs such as c * a^2, a * c + b, b - a * c, (a * c) * b into one instruction (fewer
    # passes over the lanes); the built-in lessons' surfaces and every parser function, with their gradients
    # and Hessians, must come out bit for bit the same
    import tomllib
    from pathlib import Path

    lessons = [tomllib.loads(p.read_text())["surface"]["expression"] for p in sorted(Path("presets").glob("*.toml"))]
    rng = np.random.default_rng(5)
    P = np.concatenate([rng.uniform(-3, 3, (300, 2)), [[0.0, 0.0], [-0.0, 1.0], [1e200, -1e-200]]])
    compared = fused_somewhere = 0
    for text in [*lessons, *EXPRESSIONS.values()]:
        sym = symbolic(text)
        if len(sym.variables) != 2 or sym.columns:
            continue  # the data and d != 2 lessons: their tapes are built the same way
        upper = [sym.hessian_exprs[i][j] for i in range(2) for j in range(i, 2)]
        exprs = [sym.expr, *sym.gradient_exprs, *upper]
        inputs = (*sym.variables, *sym.parameter_names)
        params = np.linspace(0.5, 1.5, len(sym.parameter_names))
        outs = []
        for tape in (build_tape(exprs, inputs, fuse=False), build_tape(exprs, inputs)):
            out = np.empty((len(P), len(exprs)))
            eval_points(tape.code, tape.imm, tape.consts, tape.meta, tape.outputs, params, P, out)
            outs.append((len(tape), out))
        (n_plain, plain), (n_fused, fused) = outs
        np.testing.assert_array_equal(fused.view(np.int64), plain.view(np.int64), err_msg=text)
        compared += 1
        fused_somewhere += n_fused < n_plain
    assert compared >= 40 and fused_somewhere >= 20, (compared, fused_somewhere)
    rosenbrock = symbolic("(1 - x)^2 + 100(y - x^2)^2")
    exprs = [rosenbrock.expr, *rosenbrock.gradient_exprs]
    assert (len(build_tape(exprs, ("x", "y"), fuse=False)), len(build_tape(exprs, ("x", "y")))) == (16, 11)
