"""Scalar building blocks of the update rules, rounded exactly as torch.optim's tensor operations round.

Each is a compiled function of floats; the optimizer kernels call them inside their per-lane loops.
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from explorer.compiled import kernel

_DOUBLE = ir.DoubleType()


@intrinsic
def fma(typingctx, a, b, c):
    """a * b + c with one rounding (IEEE 754 fusedMultiplyAdd; LLVM's ``llvm.fma``, a libm call where the
    processor has no FMA instruction)."""
    sig = types.float64(types.float64, types.float64, types.float64)

    def codegen(context, builder, signature, args):
        fn = builder.module.declare_intrinsic("llvm.fma", [_DOUBLE], ir.FunctionType(_DOUBLE, [_DOUBLE] * 3))
        return builder.call(fn, args)

    return sig, codegen


@kernel(_nrt=False)
def divide(a, b, y):
    """``a / b`` correctly rounded, as the divide instruction gives it, from ``y = 1 / b`` (rounded): for a
    divisor shared by many quotients, this uses the multiplier and FMA units instead of the divider, which
    bounds Adam's step (a sqrt and two divisions per coordinate).

    q0 = a y is within 1.5 ulp of a/b; one correction with the exact remainder r = a - b q (an FMA),
    q <- q + r y, makes it faithful (its error is O(ulp^2)); Markstein's theorem then makes the second
    correction the correctly rounded quotient (P. Markstein, "Computation of elementary functions on the IBM
    RISC System/6000 processor", IBM J. Res. Dev. 34(1), 1990; J.-M. Muller et al., Handbook of
    Floating-Point Arithmetic, 2nd ed., 2018, section 4.7). Valid when neither a/b nor the remainders
    underflow or overflow: here |a| >= 2^-900 or a = 0, and 1/b finite. a = ±0, ±inf or nan: a y, which is
    a / b.
    Checked bit for bit against the divide instruction in tests/test_ops.py.
    """
    q = a * y
    if q - q != 0.0 or q == 0.0:
        return q
    q = fma(fma(-b, q, a), y, q)
    return fma(fma(-b, q, a), y, q)


@kernel(_nrt=False)
def lerp(start, end, weight):
    """torch.lerp's formula (ATen Lerp.h), so rounding matches: small weights go from ``start``."""
    if abs(weight) < 0.5:
        return (end - start) * weight + start
    return (end - start) * (weight - 1.0) + end  # end - (end - start) * (1 - weight)


@kernel(_nrt=False)
def ema_square(avg, grad, beta):
    """``avg * beta + ((1 - beta) * grad) * grad`` — torch's ``mul_(beta).addcmul_(g, g, value=1 - beta)``."""
    return (grad * (1.0 - beta)) * grad + avg * beta


@kernel(_nrt=False)
def coupled(grad, param, weight_decay):
    """L2 penalty in the gradient: ``grad + weight_decay * param`` (torch's ``grad.add(p, alpha=wd)``)."""
    if weight_decay == 0:
        return grad
    return param * weight_decay + grad


@kernel(_nrt=False)
def decayed(param, grad, lr, weight_decay, decoupled):
    """torch's weight decay: decoupled (AdamW) shrinks the parameter, ``param * (1 - lr * weight_decay)``, and
    leaves the gradient; otherwise the L2 penalty goes into the gradient (:func:`coupled`). (param, grad)."""
    if weight_decay != 0 and decoupled:
        return param * (1 - lr * weight_decay), grad
    return param, coupled(grad, param, weight_decay)


@kernel(_nrt=False)
def moments(exp_avg, exp_avg_sq, q, grad, beta1, beta2):
    """Adam's moment updates of lane q in place, torch's order: ``lerp(m, g, 1 - beta1)`` and
    :func:`ema_square`. Returns (m, v)."""
    m = lerp(exp_avg[q], grad, 1 - beta1)
    v = ema_square(exp_avg_sq[q], grad, beta2)
    exp_avg[q] = m
    exp_avg_sq[q] = v
    return m, v


@kernel(_nrt=False)
def store_lr(S, lr, s0, nl):
    """Row 0 of the state: the learning rate each lane's last step used."""
    for q in range(nl):
        S[0, s0 + q] = lr[q]


@kernel(_nrt=False)
def maximum(a, b):
    """numpy.maximum / torch.maximum: nan if either is nan."""
    if a != a:
        return a
    if b != b:
        return b
    return a if a >= b else b


@kernel(_nrt=False)
def pymax(a, b):
    """Python's ``max(a, b)``: ``b`` only if ``b > a`` (so a nan first argument wins)."""
    return b if b > a else a


@kernel(_nrt=False)
def pymin(a, b):
    """Python's ``min(a, b)``: ``b`` only if ``b < a``."""
    return b if b < a else a


@kernel(_nrt=False)
def sign(v):
    """numpy.sign: -1, 0 or 1; nan stays nan."""
    return 1.0 if v > 0 else (-1.0 if v < 0 else (0.0 if v == 0 else v))


@kernel(_nrt=False)
def half(t):
    """0.5, computed from the runtime step ``t`` so that LLVM cannot see a constant exponent.

    LLVM rewrites ``pow(x, 0.5)`` as ``sqrt(x)``, which differs from C's ``pow`` (what Python's and torch's
    ``x ** 0.5`` call) in the last bit now and then; ``x ** half(t)`` keeps the ``pow`` call.
    """
    return 0.5 + 0.0 * t
