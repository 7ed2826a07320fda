"""Expression tapes: f, ∇f and the Hessian as a short list of instructions, run by one compiled interpreter.

Compiling every typed formula to machine code would cost 0.2–1 s per formula (a numba ``cfunc`` per
expression, measured for issue 10). Instead, :func:`build_tape` turns sympy expressions into a *tape*: the
common subexpressions that :func:`sympy.cse` finds, then the outputs, as straight-line instructions on
numbered registers. One interpreter, :func:`run_tape`, compiled once and cached on disk, executes any tape.
It is block-vectorised: each instruction runs over a block of lanes (up to :func:`block_size` points, or
data rows) before the next, so the dispatch on the operation code is paid once per block, and a single
racer (one lane) and a 65,536-start basin map (many blocks) run through the same code.

Registers ``0 .. n_inputs - 1`` hold the inputs: the d variables, then the parameters, then the data columns
(in the order given to :func:`build_tape`); the next ``len(consts)`` registers hold constants, the next one
per output the outputs, in order; the rest are temporaries, reused once their value is dead. Parameters are
values in registers, never baked into the code, so moving a parameter slider recompiles nothing.

Numerics follow numpy's elementwise semantics: overflow gives ±inf and undefined operations nan, without
exceptions or warnings (``Max``/``Min`` propagate nan like ``numpy.maximum``; ``sign(0) = 0``;
``Heaviside(0) = H0``, 1/2 unless given). Distributions that differentiation produces (``DiracDelta``, the
derivative of ``sign`` or ``Heaviside``) are 0: they vanish everywhere except on a set of measure zero.
``re(z)`` is z and ``im(z)`` is 0 for the real values computed here (nan stays nan). Anything else raises
:class:`TapeError` when the tape is built, never at evaluation.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np
import sympy
from sympy.core.relational import Relational

from explorer.compiled import kernel

__all__ = ["Tape", "TapeError", "build_tape", "run_tape", "block_size", "eval_points", "reduce_rows",
           "eval_data_points"]


class TapeError(ValueError):
    """An expression the tape cannot evaluate (raised by :func:`build_tape`, never during evaluation)."""


# --- operation codes ------------------------------------------------------------------------------------
# Binary: dst = a OP b.  "C" variants take the constant ``imm``.  Unary: dst = f(a).
(MUL, ADD, SUB, MULC, ADDC, SQUARE, NEG, DIV, RECIP, INTPOW, SQRT, EXP, LOG, POWC, POW, RDIVC, SIN, COS, TAN,
 ASIN, ACOS, ATAN, SINH, COSH, TANH, ASINH, ACOSH, ATANH, ERF, ERFC, ABS, SIGN, ATAN2, MAX, MIN, HEAVISIDE,
 COPY, IM, LT, LE, GT, GE, EQ, NE, AND, OR, NOT, SELECT,
 RSUBC, SQMULC, MULCADD, MULCSUB, MULCMUL, MULMULC) = range(54)
# The last six are two instructions fused (see _fuse): c - a, (a * a) * c, a * c + b, a * c - b, (a * c) * b,
# (a * b) * c, each rounded after every operation exactly as the pair was.

_UNARY = {
    sympy.exp: EXP, sympy.log: LOG, sympy.sin: SIN, sympy.cos: COS, sympy.tan: TAN, sympy.asin: ASIN,
    sympy.acos: ACOS, sympy.atan: ATAN, sympy.sinh: SINH, sympy.cosh: COSH, sympy.tanh: TANH,
    sympy.asinh: ASINH, sympy.acosh: ACOSH, sympy.atanh: ATANH, sympy.erf: ERF, sympy.erfc: ERFC,
    sympy.Abs: ABS, sympy.sign: SIGN,
}
_RELATIONS = {sympy.StrictLessThan: LT, sympy.LessThan: LE, sympy.StrictGreaterThan: GT,
              sympy.GreaterThan: GE, sympy.Equality: EQ, sympy.Unequality: NE}
_DISTRIBUTIONS = (sympy.DiracDelta, sympy.Heaviside, sympy.sign)  # their derivatives are 0 almost everywhere
MAX_INTPOW = 64  # integer powers up to this use repeated multiplication; larger ones call pow()


@dataclass(frozen=True, eq=False)
class Tape:
    """Straight-line code for some output expressions.

    code : (n_ops, 5) int32 rows ``(op, dst, a, b, c)`` (c: SELECT's third operand).
    imm : (n_ops,) float64 constant operand of the ``...C`` operations, INTPOW's exponent, Heaviside's H0.
    consts : (k,) float64, loaded into registers ``n_inputs .. n_inputs + k - 1``.
    outputs : (n_out,) int32, the register holding each output expression after a run: consecutive,
        ``outputs[0] + k`` for output k.
    n_inputs : inputs (variables, parameters, columns) at registers 0 ..; n_regs : registers needed.
    """

    code: np.ndarray
    imm: np.ndarray
    consts: np.ndarray
    outputs: np.ndarray
    n_inputs: int
    n_regs: int

    @property
    def meta(self) -> np.ndarray:
        """(n_inputs, n_consts, n_regs) as an int64 array, for the kernels."""
        return np.array([self.n_inputs, self.consts.size, self.n_regs], dtype=np.int64)

    def __len__(self) -> int:
        return self.code.shape[0]


def build_tape(exprs, inputs, fuse: bool = True) -> Tape:
    """A tape computing ``exprs`` (a sequence of sympy expressions) from ``inputs`` (symbol names, in order).

    ``fuse=False`` keeps every instruction separate (for tests: fusing must not change a bit).
    Raises :class:`TapeError` for a function or symbol the interpreter does not know.
    """
    exprs = [_without_distributions(e if isinstance(e, sympy.Basic) else sympy.Float(e)) for e in exprs]
    replacements, reduced = sympy.cse(exprs, order="none")
    builder = _Builder(list(inputs))
    for sym, sub in replacements:
        builder.memo[sym] = builder.emit(sub)
    outputs = [builder.emit(e) for e in reduced]
    if fuse:
        builder.ops = _fuse(builder.ops, outputs)
    return builder.finish(outputs)


def _fuse(ops, outputs):
    """Fold an instruction into the one instruction that reads its value (when nothing else does, outputs
    included) for the pairs sympy's derivatives are full of: ``-a + c``, ``c * a^2``, ``a * c ± b``,
    ``(a * c) * b``, ``(a * b) * c``. The interpreter's cost is the loads and stores of each instruction over a
    block of lanes, so every fold saves a pass (the Rosenbrock gradient tape: 16 instructions -> 11).
    Rounding is unchanged: the fused instruction rounds after each operation as the pair did; ``b - a * c``
    becomes ``a * (-c) + b``, exact since rounding is symmetric."""
    uses = Counter(r for op in ops for r in op[2:5] if isinstance(r, int))
    uses.update(r for r in outputs if isinstance(r, int))
    current: dict[int, tuple | None] = {}

    def sole(reg, *codes):
        """The instruction computing reg when it is one of ``codes`` and reg is read only once."""
        op = current.get(reg) if isinstance(reg, int) and uses[reg] == 1 else None
        return op if op is not None and op[0] in codes else None

    for code, dst, a, b, c, imm in ops:
        new = None
        if code == ADDC and (p := sole(a, NEG)):
            new = (RSUBC, dst, p[2], None, None, imm)
        elif code == MULC and (p := sole(a, SQUARE)):
            new = (SQMULC, dst, p[2], None, None, imm)
        elif code == MULC and (p := sole(a, MUL)):
            new = (MULMULC, dst, p[2], p[3], None, imm)
        elif code == ADD and (p := sole(a, MULC)):
            new = (MULCADD, dst, p[2], b, None, p[5])
        elif code == ADD and (p := sole(b, MULC)):
            new = (MULCADD, dst, p[2], a, None, p[5])
        elif code == SUB and (p := sole(b, MULC)):
            new = (MULCADD, dst, p[2], a, None, -p[5])
        elif code == SUB and (p := sole(a, MULC)):
            new = (MULCSUB, dst, p[2], b, None, p[5])
        elif code == MUL and (p := sole(a, MULC)):
            new = (MULCMUL, dst, p[2], b, None, p[5])
        elif code == MUL and (p := sole(b, MULC)):
            new = (MULCMUL, dst, p[2], a, None, p[5])
        if new is not None:
            current[p[1]] = None  # the folded instruction is gone
        current[dst] = new or (code, dst, a, b, c, imm)
    return [op for op in current.values() if op is not None]


def _without_distributions(e):
    """``e`` with DiracDelta and derivatives of sign/Heaviside/DiracDelta replaced by 0 (before cse, which would
    otherwise hide the differentiated function behind a temporary symbol)."""
    zero = {a: sympy.S.Zero for a in e.atoms(sympy.DiracDelta, sympy.Derivative)
            if isinstance(a, sympy.DiracDelta) or isinstance(a.expr, _DISTRIBUTIONS)}
    return e.xreplace(zero) if zero else e


def _short(e) -> str:
    text = str(e)
    return text if len(text) <= 60 else text[:57] + "..."


class _Builder:
    """Emits SSA instructions on virtual registers, then allocates physical registers."""

    def __init__(self, inputs: list[str]):
        self.inputs = {name: i for i, name in enumerate(inputs)}
        self.n_inputs = len(inputs)
        self.consts: dict[int, int] = {}    # float bits -> constant number
        self.const_values: list[float] = []
        self.ops: list[tuple] = []          # (op, dst, a, b, c, imm) on virtual registers
        self.memo: dict = {}
        self.next_vreg = 0

    # virtual registers: ("i", k) input, ("k", k) constant, int temporaries
    def const(self, value: float):
        value = float(value)
        key = np.float64(value).view(np.int64).item()
        if key not in self.consts:
            self.consts[key] = len(self.const_values)
            self.const_values.append(value)
        return ("k", self.consts[key])

    def op(self, code, a, b=None, c=None, imm=0.0):
        dst = self.next_vreg
        self.next_vreg += 1
        self.ops.append((code, dst, a, b, c, float(imm)))
        return dst

    @staticmethod
    def is_const(reg) -> bool:
        return isinstance(reg, tuple) and reg[0] == "k"

    def emit(self, e):
        hit = self.memo.get(e)
        if hit is not None:
            return hit
        reg = self._emit(e)
        self.memo[e] = reg
        return reg

    def _number(self, e) -> float:
        try:
            value = complex(e.evalf(30))
        except (TypeError, ValueError, OverflowError):
            return math.nan  # zoo, nan
        except Exception as exc:
            raise TapeError(f"cannot evaluate the constant {_short(e)} ({exc})") from None
        return value.real if value.imag == 0 else math.nan

    def _emit(self, e):
        if e.is_Symbol:
            if e.name not in self.inputs:
                raise TapeError(f"unknown name '{e.name}' in {_short(e)}")
            return ("i", self.inputs[e.name])
        if e.is_Number or e.is_NumberSymbol or e in (sympy.S.ComplexInfinity, sympy.S.NaN):
            if e is sympy.S.Infinity:
                return self.const(math.inf)
            if e is sympy.S.NegativeInfinity:
                return self.const(-math.inf)
            return self.const(self._number(e))
        if e is sympy.true:
            return self.const(1.0)
        if e is sympy.false:
            return self.const(0.0)
        if isinstance(e, sympy.DiracDelta):
            return self.const(0.0)
        if isinstance(e, sympy.Derivative):
            if isinstance(e.expr, _DISTRIBUTIONS):
                return self.const(0.0)
            raise TapeError(f"cannot evaluate the unevaluated derivative {_short(e)}")
        if e.is_Add:
            return self._add(e)
        if e.is_Mul:
            return self._mul(e)
        if e.is_Pow:
            return self._pow(e)
        args = [self.emit(a) for a in e.args]
        if args and all(self.is_const(a) for a in args) and not isinstance(e, (sympy.Max, sympy.Min)):
            return self.const(self._number(e))  # a constant such as log(2) or sqrt(3)/2
        func = type(e)
        if func in _UNARY:
            return self.op(_UNARY[func], args[0])
        if isinstance(e, sympy.atan2):
            return self.op(ATAN2, args[0], args[1])
        if isinstance(e, (sympy.Max, sympy.Min)):
            return self._fold(MAX if isinstance(e, sympy.Max) else MIN, args)
        if isinstance(e, sympy.Heaviside):
            h0 = 0.5 if len(e.args) < 2 else e.args[1]
            if len(e.args) >= 2 and not e.args[1].is_number:
                raise TapeError(f"Heaviside's value at 0 must be a number in {_short(e)}")
            return self.op(HEAVISIDE, args[0], imm=float(h0))
        if isinstance(e, sympy.re):
            return args[0]
        if isinstance(e, sympy.im):
            return self.op(IM, args[0])
        if isinstance(e, Relational) and type(e) in _RELATIONS:
            return self.op(_RELATIONS[type(e)], args[0], args[1])
        if isinstance(e, (sympy.And, sympy.Or)):
            return self._fold(AND if isinstance(e, sympy.And) else OR, args)
        if isinstance(e, sympy.Not):
            return self.op(NOT, args[0])
        if isinstance(e, sympy.Piecewise):
            return self._piecewise(e)
        raise TapeError(f"the compiled evaluator does not support {func.__name__} (in {_short(e)})")

    def _fold(self, code, args):
        """An n-ary Max/Min/And/Or as a left fold of binary operations."""
        acc = args[0]
        for a in args[1:]:
            acc = self.op(code, acc, a)
        return acc

    def _piecewise(self, e):
        # numpy.select semantics: the first true condition wins; no true condition gives nan
        acc = self.const(math.nan)
        for expr, cond in reversed(e.args):
            value = self.emit(expr)
            if cond is sympy.true:
                acc = value
            else:
                acc = self.op(SELECT, self.emit(cond), value, acc)
        return acc

    def _add(self, e):
        constant = 0.0
        plus, minus = [], []
        for term in e.args:
            if term.is_Number:
                constant += self._number(term)
                continue
            coeff, rest = term.as_coeff_Mul()
            if coeff.is_Number and coeff < 0:
                minus.append(-coeff * rest if coeff != -1 else rest)
            else:
                plus.append(term)
        acc = None
        for term in plus:
            reg = self.emit(term)
            acc = reg if acc is None else self.op(ADD, acc, reg)
        for term in minus:
            reg = self.emit(term)
            acc = self.op(NEG, reg) if acc is None else self.op(SUB, acc, reg)
        if acc is None:
            return self.const(constant)
        return self.op(ADDC, acc, imm=constant) if constant != 0 else acc

    def _mul(self, e):
        coeff, factors = e.as_coeff_mul()
        c = self._number(coeff) if coeff is not sympy.S.One else 1.0
        num, den = [], []
        for f in factors:
            if f.is_Number:  # a number not in front (cse builds products unevaluated)
                c *= self._number(f)
            elif f.is_Pow and f.exp.is_Number and f.exp.is_negative:
                den.append(sympy.Pow(f.base, -f.exp, evaluate=False) if f.exp != -1 else f.base)
            else:
                num.append(f)
        acc = None
        for f in num:
            reg = self.emit(f)
            if acc is None:
                acc = self.op(MULC, reg, imm=c) if c not in (1.0, -1.0) else reg
            else:
                acc = self.op(MUL, acc, reg)
        if den:
            d = None
            for f in den:
                reg = self.emit(f)
                d = reg if d is None else self.op(MUL, d, reg)
            if acc is None:
                return self.op(RDIVC, d, imm=c)
            acc = self.op(DIV, acc, d)
        if acc is None:
            return self.const(c)
        return self.op(NEG, acc) if c == -1.0 else acc

    def _pow(self, e):
        base, exp = e.args
        b = self.emit(base)
        if exp.is_Integer:
            n = int(exp)
            if n == 1:
                return b
            if n == 2:
                return self.op(SQUARE, b)
            if n == -1:
                return self.op(RECIP, b)
            if abs(n) <= MAX_INTPOW:
                return self.op(INTPOW, b, imm=n)
            return self.op(POWC, b, imm=n)
        if exp.is_Number:
            if exp == sympy.S.Half:
                return self.op(SQRT, b)
            if exp == -sympy.S.Half:
                return self.op(RECIP, self.op(SQRT, b))
            return self.op(POWC, b, imm=self._number(exp))
        x = self.emit(exp)
        if self.is_const(b) and self.is_const(x):
            return self.const(self._number(e))
        return self.op(POW, b, x)

    def finish(self, outputs) -> Tape:
        """Allocate physical registers: output k lands in register ``n_fixed + k`` (so the outputs are one
        contiguous block a kernel can use in place), temporaries are reused once their value is dead."""
        n_fixed = self.n_inputs + len(self.const_values)
        first_out = n_fixed

        def fixed(reg):
            if reg[0] == "i":
                return reg[1]
            return self.n_inputs + reg[1]

        designated: dict[int, int] = {}  # SSA value -> its output register (the first output it is)
        copies = []                      # (output register, source) for outputs that are inputs, constants or repeats
        for k, r in enumerate(outputs):
            if isinstance(r, int) and r not in designated:
                designated[r] = first_out + k
            else:
                copies.append((first_out + k, r))
        last_use: dict[int, int] = {}
        for i, (_, _, a, b, c, _) in enumerate(self.ops):
            for r in (a, b, c):
                if isinstance(r, int):
                    last_use[r] = i
        phys: dict[int, int] = {}
        free: list[int] = []
        n_regs = first_out + len(outputs)
        rows = []
        for i, (op, dst, a, b, c, imm) in enumerate(self.ops):
            operands = []
            for r in (a, b, c):
                if r is None:
                    operands.append(0)
                elif isinstance(r, int):
                    operands.append(phys[r])
                else:
                    operands.append(fixed(r))
            # The destination is chosen before this instruction's dead operands are freed, so no instruction
            # writes a register it reads: an in-place row (o is x) fails the compiler's runtime overlap check
            # and runs the scalar loop instead of the vectorised one (measured: the Rosenbrock tape 35% slower).
            if dst in designated:
                phys[dst] = designated[dst]
            else:
                if free:
                    phys[dst] = free.pop()
                else:
                    phys[dst] = n_regs
                    n_regs += 1
            for r in dict.fromkeys((a, b, c)):  # operands dead after this instruction free their register
                if isinstance(r, int) and last_use[r] == i and r not in designated:
                    free.append(phys[r])
            if dst not in designated and last_use.get(dst, i) == i:  # never read again: free at once
                free.append(phys[dst])
            rows.append((op, phys[dst], *operands, imm))
        for target, r in copies:
            source = phys[r] if isinstance(r, int) else fixed(r)
            rows.append((COPY, target, source, 0, 0, 0.0))
        out_regs = list(range(first_out, first_out + len(outputs)))
        code = np.array([r[:5] for r in rows], dtype=np.int32).reshape(-1, 5)
        imm = np.array([r[5] for r in rows], dtype=np.float64)
        return Tape(code, imm, np.array(self.const_values, dtype=np.float64), np.array(out_regs, dtype=np.int32),
                    self.n_inputs, max(n_regs, 1))


# --- the interpreter --------------------------------------------------------------------------------------


def block_size(n_regs: int) -> int:
    """Lanes per block: enough to amortise dispatch, few enough that the registers stay in cache (~256 KB)."""
    return int(max(8, min(512, (32768 // max(n_regs, 1)) // 8 * 8)))


@kernel(_nrt=False)
def block_lanes(n_regs):
    """:func:`block_size` inside kernels."""
    b = 32768 // max(n_regs, 1)
    b = b // 8 * 8
    return max(8, min(512, b))


@kernel
def aligned_rows(rows, lanes):
    """``np.zeros((rows, width))``, width >= lanes, starting on a 64-byte boundary (a cache line).

    With ``lanes`` a multiple of 8 (:func:`block_lanes`) every row then starts on one too, so the vectorised
    loops' 64-byte loads and stores never straddle two lines. numba's own allocations are 32-byte aligned:
    on them the Rosenbrock tape ran 30% slower (0.8 -> 1.15 ns per lane over a 512-lane block).
    The width is ``lanes + 8`` when ``lanes`` is a multiple of 64, so that rows are not a multiple of 4 KB
    apart: a load whose address matches an earlier store's in its low 12 bits waits for that store (4K
    aliasing), and with 512-lane rows (exactly 4 KB) every register, point and state row of a block does:
    the L-BFGS basin map (history 100) ran 2x slower on 4 KB rows. Columns past ``lanes`` are never used.
    """
    width = lanes + 8 if lanes >= 64 and lanes % 64 == 0 else lanes
    n = rows * width
    buf = np.zeros(n + 8)
    skip = (64 - buf.ctypes.data % 64) % 64 // 8
    return buf[skip:skip + n].reshape((rows, width))


@kernel(_nrt=False)
def _intpow(v, n):
    """v**n for an integer n (|n| <= MAX_INTPOW) by binary powering; negative n: 1 / v**|n|."""
    m = n if n > 0 else -n
    result = 1.0
    base = v
    while m > 0:
        if m & 1:
            result *= base
        m >>= 1
        if m > 0:
            base *= base
    return result if n > 0 else 1.0 / result


@kernel(_nrt=False)
def load_constants(consts, n_inputs, regs, nl):
    """Fill the constant registers for ``nl`` lanes (once per register block)."""
    for k in range(consts.size):
        row = regs[n_inputs + k]
        v = consts[k]
        for ln in range(nl):
            row[ln] = v


@kernel(_nrt=False)
def load_parameters(params, d, n_inputs, regs):
    """Broadcast the parameter values to every lane (registers d ..); data columns, if any, become nan."""
    lanes = regs.shape[1]
    for k in range(params.size):
        for ln in range(lanes):
            regs[d + k, ln] = params[k]
    for k in range(d + params.size, n_inputs):
        for ln in range(lanes):
            regs[k, ln] = np.nan


@kernel(_nrt=False)
def run_tape(code, imm, regs, nl):
    """Execute ``code`` on lanes ``0 .. nl - 1`` of ``regs`` (n_regs, block); inputs and constants loaded."""
    for i in range(code.shape[0]):
        op = code[i, 0]
        o = regs[code[i, 1]]
        x = regs[code[i, 2]]
        if op == MULCADD:
            y = regs[code[i, 3]]
            c = imm[i]
            for ln in range(nl):
                o[ln] = x[ln] * c + y[ln]
        elif op == MULCSUB:
            y = regs[code[i, 3]]
            c = imm[i]
            for ln in range(nl):
                o[ln] = x[ln] * c - y[ln]
        elif op == MULCMUL:
            y = regs[code[i, 3]]
            c = imm[i]
            for ln in range(nl):
                o[ln] = (x[ln] * c) * y[ln]
        elif op == MULMULC:
            y = regs[code[i, 3]]
            c = imm[i]
            for ln in range(nl):
                o[ln] = (x[ln] * y[ln]) * c
        elif op == SQMULC:
            c = imm[i]
            for ln in range(nl):
                o[ln] = (x[ln] * x[ln]) * c
        elif op == RSUBC:
            c = imm[i]
            for ln in range(nl):
                o[ln] = c - x[ln]
        elif op == MUL:
            y = regs[code[i, 3]]
            for ln in range(nl):
                o[ln] = x[ln] * y[ln]
        elif op == ADD:
            y = regs[code[i, 3]]
            for ln in range(nl):
                o[ln] = x[ln] + y[ln]
        elif op == SUB:
            y = regs[code[i, 3]]
            for ln in range(nl):
                o[ln] = x[ln] - y[ln]
        elif op == MULC:
            c = imm[i]
            for ln in range(nl):
                o[ln] = x[ln] * c
        elif op == ADDC:
            c = imm[i]
            for ln in range(nl):
                o[ln] = x[ln] + c
        elif op == SQUARE:
            for ln in range(nl):
                o[ln] = x[ln] * x[ln]
        elif op == NEG:
            for ln in range(nl):
                o[ln] = -x[ln]
        elif op == DIV:
            y = regs[code[i, 3]]
            for ln in range(nl):
                o[ln] = x[ln] / y[ln]
        elif op == RECIP:
            for ln in range(nl):
                o[ln] = 1.0 / x[ln]
        elif op == INTPOW:
            n = int(imm[i])
            for ln in range(nl):
                o[ln] = _intpow(x[ln], n)
        elif op == SQRT:
            for ln in range(nl):
                o[ln] = math.sqrt(x[ln])
        elif op == EXP:
            for ln in range(nl):
                o[ln] = math.exp(x[ln])
        elif op == LOG:
            for ln in range(nl):
                o[ln] = math.log(x[ln])
        elif op == POWC:
            c = imm[i]
            for ln in range(nl):
                o[ln] = x[ln] ** c
        elif op == POW:
            y = regs[code[i, 3]]
            for ln in range(nl):
                o[ln] = x[ln] ** y[ln]
        elif op == RDIVC:
            c = imm[i]
            for ln in range(nl):
                o[ln] = c / x[ln]
        elif op == SIN:
            for ln in range(nl):
                o[ln] = math.sin(x[ln])
        elif op == COS:
            for ln in range(nl):
                o[ln] = math.cos(x[ln])
        elif op == TAN:
            for ln in range(nl):
                o[ln] = math.tan(x[ln])
        elif op == ASIN:
            for ln in range(nl):
                o[ln] = math.asin(x[ln])
        elif op == ACOS:
            for ln in range(nl):
                o[ln] = math.acos(x[ln])
        elif op == ATAN:
            for ln in range(nl):
                o[ln] = math.atan(x[ln])
        elif op == SINH:
            for ln in range(nl):
                o[ln] = math.sinh(x[ln])
        elif op == COSH:
            for ln in range(nl):
                o[ln] = math.cosh(x[ln])
        elif op == TANH:
            for ln in range(nl):
                o[ln] = math.tanh(x[ln])
        elif op == ASINH:
            for ln in range(nl):
                o[ln] = math.asinh(x[ln])
        elif op == ACOSH:
            for ln in range(nl):
                o[ln] = math.acosh(x[ln])
        elif op == ATANH:
            for ln in range(nl):
                o[ln] = math.atanh(x[ln])
        elif op == ERF:
            for ln in range(nl):
                o[ln] = math.erf(x[ln])
        elif op == ERFC:
            for ln in range(nl):
                o[ln] = math.erfc(x[ln])
        elif op == ABS:
            for ln in range(nl):
                o[ln] = abs(x[ln])
        elif op == SIGN:
            for ln in range(nl):
                v = x[ln]
                o[ln] = 1.0 if v > 0 else (-1.0 if v < 0 else v)  # sign(±0) = ±0, sign(nan) = nan
        elif op == ATAN2:
            y = regs[code[i, 3]]
            for ln in range(nl):
                o[ln] = math.atan2(x[ln], y[ln])
        elif op == MAX:
            y = regs[code[i, 3]]
            for ln in range(nl):
                a = x[ln]
                b = y[ln]
                o[ln] = a if (a >= b or a != a) else b  # numpy.maximum: nan wins
        elif op == MIN:
            y = regs[code[i, 3]]
            for ln in range(nl):
                a = x[ln]
                b = y[ln]
                o[ln] = a if (a <= b or a != a) else b
        elif op == HEAVISIDE:
            h0 = imm[i]
            for ln in range(nl):
                v = x[ln]
                o[ln] = 1.0 if v > 0 else (0.0 if v < 0 else (h0 if v == 0 else v))
        elif op == COPY:
            for ln in range(nl):
                o[ln] = x[ln]
        elif op == IM:
            for ln in range(nl):
                v = x[ln]
                o[ln] = 0.0 if v == v else v
        elif op == SELECT:
            y = regs[code[i, 3]]
            z = regs[code[i, 4]]
            for ln in range(nl):
                o[ln] = y[ln] if x[ln] != 0 else z[ln]
        elif op == NOT:
            for ln in range(nl):
                o[ln] = 0.0 if x[ln] != 0 else 1.0
        else:
            y = regs[code[i, 3]]
            for ln in range(nl):
                a = x[ln]
                b = y[ln]
                if op == LT:
                    r = a < b
                elif op == LE:
                    r = a <= b
                elif op == GT:
                    r = a > b
                elif op == GE:
                    r = a >= b
                elif op == EQ:
                    r = a == b
                elif op == NE:
                    r = a != b
                elif op == AND:
                    r = a != 0 and b != 0
                else:  # OR
                    r = a != 0 or b != 0
                o[ln] = 1.0 if r else 0.0


# --- evaluation entry points -----------------------------------------------------------------------------


@kernel
def eval_points(code, imm, consts, meta, outs, params, P, out):
    """Outputs ``outs`` (registers) at the points P (m, d), no data: out (m, len(outs)).

    Lanes are points; parameters fill registers d .. d + len(params) - 1.
    """
    m, d = P.shape
    n_inputs, n_regs = meta[0], meta[2]
    lanes = block_lanes(n_regs)
    regs = aligned_rows(n_regs, lanes)
    load_constants(consts, n_inputs, regs, lanes)
    load_parameters(params, d, n_inputs, regs)  # data columns without data: undefined
    for s0 in range(0, m, lanes):
        nl = min(lanes, m - s0)
        for j in range(d):
            row = regs[j]
            for ln in range(nl):
                row[ln] = P[s0 + ln, j]
        run_tape(code, imm, regs, nl)
        for k in range(outs.size):
            row = regs[outs[k]]
            for ln in range(nl):
                out[s0 + ln, k] = row[ln]


@kernel(_nrt=False)
def _combine(a, k):
    """The sum of the 8 partial sums a[k, 0..7], in a fixed tree order."""
    return ((a[k, 0] + a[k, 1]) + (a[k, 2] + a[k, 3])) + ((a[k, 4] + a[k, 5]) + (a[k, 6] + a[k, 7]))


@kernel(_nrt=False)
def reduce_rows(code, imm, outs, regs, p, params, cols, orders, row, start, count, scale, part, acc):
    """acc[k] = scale * sum over rows of output k at the point p (d,): the rows are
    ``orders[row, start:start+count]`` (or ``start .. start+count-1`` when row < 0) of the data columns
    ``cols`` (c, n). part : (n_out, 8) scratch.

    The sum runs in 8 interleaved partial sums (row i of the selection goes to partial sum i mod 8), combined
    in a fixed tree (:func:`_combine`): 8 independent additions per cycle instead of one long chain, and the
    same order as :func:`eval_data_points`, so a point's loss is the same number from both.
    ``regs`` must have its constants loaded; variables and parameters are broadcast to every lane.
    """
    d = p.size
    lanes = regs.shape[1]
    n_params = params.size
    n_cols = cols.shape[0]
    n_out = outs.size
    for k in range(n_out):
        for i in range(8):
            part[k, i] = 0.0
    for j in range(d):
        for ln in range(lanes):
            regs[j, ln] = p[j]
    for k in range(n_params):
        for ln in range(lanes):
            regs[d + k, ln] = params[k]
    for r0 in range(0, count, lanes):  # lanes is a multiple of 8: row r0 + ln goes to partial sum ln % 8
        nl = min(lanes, count - r0)
        for c in range(n_cols):
            dst = regs[d + n_params + c]
            src = cols[c]
            if row >= 0:
                for ln in range(nl):
                    dst[ln] = src[orders[row, start + r0 + ln]]
            else:
                for ln in range(nl):
                    dst[ln] = src[start + r0 + ln]
        run_tape(code, imm, regs, nl)
        full = nl - nl % 8
        for k in range(n_out):
            out = regs[outs[k]]
            a0, a1, a2, a3 = part[k, 0], part[k, 1], part[k, 2], part[k, 3]
            a4, a5, a6, a7 = part[k, 4], part[k, 5], part[k, 6], part[k, 7]
            for ln in range(0, full, 8):
                a0 += out[ln]
                a1 += out[ln + 1]
                a2 += out[ln + 2]
                a3 += out[ln + 3]
                a4 += out[ln + 4]
                a5 += out[ln + 5]
                a6 += out[ln + 6]
                a7 += out[ln + 7]
            part[k, 0], part[k, 1], part[k, 2], part[k, 3] = a0, a1, a2, a3
            part[k, 4], part[k, 5], part[k, 6], part[k, 7] = a4, a5, a6, a7
            for ln in range(full, nl):
                part[k, ln % 8] += out[ln]
    for k in range(n_out):
        acc[k] = _combine(part, k) * scale


@kernel
def eval_data_points(code, imm, consts, meta, outs, params, P, cols, scale, out):
    """Like :func:`eval_points`, reduced over every data row: out[i, k] = scale * sum_rows output k at P[i].

    Lanes are points here and rows the outer loop (each row's values broadcast to the lanes), so the sums
    are vectorised across points; each point's sum has :func:`reduce_rows`'s order exactly.
    """
    m, d = P.shape
    n_inputs, n_regs = meta[0], meta[2]
    n_out = outs.size
    lanes = block_lanes(n_regs)
    regs = aligned_rows(n_regs, lanes)
    load_constants(consts, n_inputs, regs, lanes)
    n_params = params.size
    n_cols = cols.shape[0]
    n = cols.shape[1]
    for k in range(n_params):
        for ln in range(lanes):
            regs[d + k, ln] = params[k]
    part = np.zeros((n_out, 8, lanes))
    for s0 in range(0, m, lanes):
        nl = min(lanes, m - s0)
        for j in range(d):
            row = regs[j]
            for ln in range(nl):
                row[ln] = P[s0 + ln, j]
        for k in range(n_out):
            for i in range(8):
                for ln in range(nl):
                    part[k, i, ln] = 0.0
        for r in range(n):
            for c in range(n_cols):
                v = cols[c, r]
                row = regs[d + n_params + c]
                for ln in range(nl):
                    row[ln] = v
            run_tape(code, imm, regs, nl)
            slot = r % 8
            for k in range(n_out):
                src = regs[outs[k]]
                dst = part[k, slot]
                for ln in range(nl):
                    dst[ln] += src[ln]
        for k in range(n_out):
            for ln in range(nl):
                a = part[k]
                out[s0 + ln, k] = (((a[0, ln] + a[1, ln]) + (a[2, ln] + a[3, ln]))
                                   + ((a[4, ln] + a[5, ln]) + (a[6, ln] + a[7, ln]))) * scale
