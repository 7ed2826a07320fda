"""Safe parsing of a typed loss surface into a sympy expression.

Typed text is never handed to ``eval``, ``exec``, ``sympify`` or ``parse_expr`` (sympy's own docs warn that
``parse_expr`` calls ``eval``). Instead:

1. :func:`_tokenize` reads the text character by character and accepts only numbers, names, ``+ - * / ^ **``,
   parentheses, commas and spaces. Everything else (``.``, ``[``, quotes, ``=``, ``:`` …) is refused with
   its position. Implicit multiplication (``2x``, ``3(x+1)``, ``(x+1)(y-1)``, ``2 sin(x)``) is made explicit
   and ``^`` becomes ``**``, keeping a map from each rewritten character back to the typed one.
2. :func:`ast.parse` (mode ``"eval"``) parses the rewritten text — parsing builds a tree, it runs nothing.
3. :func:`_Builder` walks that tree and accepts a whitelist of node types only (numbers, the variables,
   known constants and parameters, ``+ - * / **``, unary ``±`` and calls of whitelisted functions by name),
   building the sympy expression itself. Numbers or powers that would take sympy forever (``9^9^9^9``) are
   refused before sympy sees them.

Every refusal is an :class:`ExpressionError` whose ``start``/``end`` point at the typed characters.
"""

from __future__ import annotations

import ast
import difflib
import functools
import keyword
import math
from collections.abc import Iterable
from dataclasses import dataclass

import sympy

MAX_LENGTH = 2000
MAX_DEPTH = 60
# Results beyond ~10^308 overflow float64 anyway; refusing them keeps sympy from computing 9^(9^9) exactly.
MAX_LOG10 = 308.0
MAX_VARIABLES = 20
MAX_PARAMETERS = 16
MAX_NAME_CHARS = 32
# min/max of k arguments differentiate into products of k - 1 step functions per term: 8 keeps that fast.
MAX_MINMAX_ARGS = 8


@functools.cache
def symbol(name: str) -> sympy.Symbol:
    """The one sympy symbol for a variable, parameter or data column name (real, so sympy simplifies)."""
    return sympy.Symbol(name, real=True)


X, Y = symbol("x"), symbol("y")
DEFAULT_VARIABLES = ("x", "y")
VARIABLES = {"x": X, "y": Y}  # the default variables

CONSTANTS = {"pi": sympy.pi, "e": sympy.E, "E": sympy.E}


def _sigmoid(u):
    return 1 / (1 + sympy.exp(-u))


def _softplus(u):
    return sympy.log(1 + sympy.exp(u))


def _relu(u):
    return sympy.Max(0, u)


def _log(u, base=None):
    return sympy.log(u) if base is None else sympy.log(u, base)


@dataclass(frozen=True)
class _Function:
    build: object
    min_args: int = 1
    max_args: int = 1
    usage: str = "f(u)"


def _fn(build, usage, min_args=1, max_args=1):
    return _Function(build, min_args, max_args, usage)


FUNCTIONS: dict[str, _Function] = {
    "sin": _fn(sympy.sin, "sin(u)"),
    "cos": _fn(sympy.cos, "cos(u)"),
    "tan": _fn(sympy.tan, "tan(u)"),
    "asin": _fn(sympy.asin, "asin(u)"),
    "acos": _fn(sympy.acos, "acos(u)"),
    "atan": _fn(sympy.atan, "atan(u)"),
    "atan2": _fn(sympy.atan2, "atan2(y, x)", 2, 2),
    "sinh": _fn(sympy.sinh, "sinh(u)"),
    "cosh": _fn(sympy.cosh, "cosh(u)"),
    "tanh": _fn(sympy.tanh, "tanh(u)"),
    "asinh": _fn(sympy.asinh, "asinh(u)"),
    "acosh": _fn(sympy.acosh, "acosh(u)"),
    "atanh": _fn(sympy.atanh, "atanh(u)"),
    "exp": _fn(sympy.exp, "exp(u)"),
    "log": _fn(_log, "log(u) or log(u, base)", 1, 2),
    "ln": _fn(sympy.log, "ln(u)"),
    "log10": _fn(lambda u: sympy.log(u, 10), "log10(u)"),
    "log2": _fn(lambda u: sympy.log(u, 2), "log2(u)"),
    "sqrt": _fn(sympy.sqrt, "sqrt(u)"),
    "abs": _fn(sympy.Abs, "abs(u)"),
    "Abs": _fn(sympy.Abs, "Abs(u)"),
    "sign": _fn(sympy.sign, "sign(u)"),
    "min": _fn(sympy.Min, "min(a, b, …)", 2, MAX_MINMAX_ARGS),
    "Min": _fn(sympy.Min, "Min(a, b, …)", 2, MAX_MINMAX_ARGS),
    "max": _fn(sympy.Max, "max(a, b, …)", 2, MAX_MINMAX_ARGS),
    "Max": _fn(sympy.Max, "Max(a, b, …)", 2, MAX_MINMAX_ARGS),
    "erf": _fn(sympy.erf, "erf(u)"),
    "erfc": _fn(sympy.erfc, "erfc(u)"),
    "sigmoid": _fn(_sigmoid, "sigmoid(u)"),
    "softplus": _fn(_softplus, "softplus(u)"),
    "relu": _fn(_relu, "relu(u)"),
}

# Typed look-alikes that are worth accepting when pasted from a document.
_UNICODE = {"π": "pi", "−": "-", "·": "*", "×": "*", "÷": "/", "²": "^2", "³": "^3"}

_FORBIDDEN = {
    ".": "'.' is not allowed here: attribute access is not supported (write decimals as 0.5)",
    "[": "'[' is not allowed: indexing and lists are not supported",
    "]": "']' is not allowed: indexing and lists are not supported",
    "{": "'{' is not allowed: use ( ) for grouping",
    "}": "'}' is not allowed: use ( ) for grouping",
    "'": "strings are not allowed",
    '"': "strings are not allowed",
    "=": "'=' is not allowed: keyword arguments and assignments are not supported",
    ":": "':' is not allowed: lambdas and slices are not supported",
    ";": "';' is not allowed: type one expression",
    "@": "'@' is not allowed",
    "%": "'%' is not allowed: the remainder operator is not supported",
    "!": "'!' is not allowed: factorials are not supported",
    "<": "comparisons are not allowed: type a surface, not an equation",
    ">": "comparisons are not allowed: type a surface, not an equation",
    "&": "'&' is not allowed",
    "|": "'|' is not allowed: write abs(u) for an absolute value",
    "~": "'~' is not allowed",
    "\\": "'\\' is not allowed: type plain text, not LaTeX",
    "#": "'#' is not allowed",
    "$": "'$' is not allowed",
    "`": "'`' is not allowed",
    "?": "'?' is not allowed",
}


class ExpressionError(ValueError):
    """A typed expression that cannot be used, with the characters to blame.

    Attributes
    ----------
    start, end : int
        0-based character offsets into the typed text; ``end`` is exclusive.
    message : str
        What is wrong, in words a learner understands.
    """

    def __init__(self, message: str, start: int, end: int):
        super().__init__(message)
        self.message = message
        self.start = int(start)
        self.end = int(max(end, start))

    def __reduce__(self):  # keep start/end when crossing a process boundary
        return (type(self), (self.message, self.start, self.end))

    def __str__(self) -> str:
        return f"{self.message} (characters {self.start}–{self.end})"


_DIGITS = frozenset("0123456789")


@dataclass(frozen=True)
class _Token:
    kind: str  # "num", "name", "op", "(", ")", ","
    text: str  # rewritten (ASCII) text
    start: int  # typed offsets
    end: int


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c in _DIGITS or (c == "." and i + 1 < n and text[i + 1] in _DIGITS):
            j = i
            while j < n and text[j] in _DIGITS:
                j += 1
            if j < n and text[j] == ".":
                j += 1
                while j < n and text[j] in _DIGITS:
                    j += 1
            # Scientific notation 1e-3 / 2E5: only when digits follow; "2e" alone is 2·e.
            if j < n and text[j] in "eE":
                k = j + 1
                if k < n and text[k] in "+-":
                    k += 1
                if k < n and text[k] in _DIGITS:
                    while k < n and text[k] in _DIGITS:
                        k += 1
                    j = k
            if j < n and text[j] == ".":
                raise ExpressionError("this number has two decimal points", i, j + 1)
            tokens.append(_Token("num", text[i:j], i, j))
            i = j
        elif c.isascii() and (c.isalpha() or c == "_"):
            j = i
            while j < n and text[j].isascii() and (text[j].isalnum() or text[j] == "_"):
                j += 1
            tokens.append(_Token("name", text[i:j], i, j))
            i = j
        elif c == "*" and text.startswith("**", i):
            tokens.append(_Token("op", "**", i, i + 2))
            i += 2
        elif c == "^":
            tokens.append(_Token("op", "**", i, i + 1))
            i += 1
        elif c in "+-*/":
            tokens.append(_Token("op", c, i, i + 1))
            i += 1
        elif c in "(),":
            tokens.append(_Token(c, c, i, i + 1))
            i += 1
        elif c in _UNICODE:
            sub = _UNICODE[c]
            if sub == "pi":
                tokens.append(_Token("name", "pi", i, i + 1))
            elif sub.startswith("^"):
                tokens.append(_Token("op", "**", i, i + 1))
                tokens.append(_Token("num", sub[1:], i, i + 1))
            else:
                tokens.append(_Token("op", sub, i, i + 1))
            i += 1
        elif c in _FORBIDDEN:
            raise ExpressionError(_FORBIDDEN[c], i, i + 1)
        else:
            raise ExpressionError(f"unexpected character {c!r}", i, i + 1)
    return tokens


def _check_operators(tokens: list[_Token]) -> None:
    """Give a binary operator without an operand a clearer message than Python's 'invalid syntax'."""
    for idx, tok in enumerate(tokens):
        prev = tokens[idx - 1] if idx else None
        nxt = tokens[idx + 1] if idx + 1 < len(tokens) else None
        if tok.kind == "op":
            if nxt is None or nxt.kind in (")", ","):
                raise ExpressionError(f"'{tok.text}' needs something after it", tok.start, tok.end)
            if tok.text not in "+-" and (prev is None or prev.kind in ("(", ",", "op")):
                raise ExpressionError(f"'{tok.text}' needs something before it", tok.start, tok.end)
        elif tok.kind == "," and (prev is None or prev.kind in ("(", ",")):
            raise ExpressionError("a value is missing before this ','", tok.start, tok.end)
        elif tok.kind == ")" and prev is not None and prev.kind == "(":
            raise ExpressionError("empty parentheses", prev.start, tok.end)


def _check_parentheses(tokens: list[_Token], text: str) -> None:
    stack: list[_Token] = []
    for tok in tokens:
        if tok.kind == "(":
            stack.append(tok)
            if len(stack) > MAX_DEPTH // 2:
                raise ExpressionError("the parentheses are nested too deeply", tok.start, tok.end)
        elif tok.kind == ")":
            if not stack:
                raise ExpressionError("this ')' has no matching '('", tok.start, tok.end)
            stack.pop()
    if stack:
        tok = stack[-1]
        raise ExpressionError("this '(' is never closed", tok.start, tok.end)


class _Names:
    """Classifies names: variables, data columns, constants, functions, parameters — or an error with a hint.

    With ``free`` a name that is none of these becomes a new parameter (collected in ``found``), unless it looks
    like a slip: letters of the variables run together (``xy``), a function without parentheses (``sinx``), a
    near-miss of a column or variable name (``agee`` for ``age``), or a Python keyword.
    """

    def __init__(self, parameters: Iterable[str], variables: Iterable[str] = DEFAULT_VARIABLES,
                 columns: Iterable[str] = (), free: bool = False):
        self.parameters = set(parameters)
        self.variables = tuple(variables)
        self.columns = tuple(columns)
        self.free = free
        self.found: list[str] = []

    def is_value(self, name: str) -> bool:
        return (name in self.variables or name in self.columns or name in CONSTANTS
                or name in self.parameters)

    def check(self, tok: _Token, followed_by_paren: bool) -> None:
        name = tok.text
        if name in FUNCTIONS:
            if not followed_by_paren:
                raise ExpressionError(f"{name} needs parentheses: {name}(…)", tok.start, tok.end)
            return
        if self.is_value(name):
            return  # before "(" this is implicit multiplication: a(x + 1)
        # Before "(" only a single letter is taken as a parameter (k(x - 1)^2); a longer name is a function call.
        if not self.free or (followed_by_paren and len(name) > 1):
            raise ExpressionError(self._unknown(name, followed_by_paren), tok.start, tok.end)
        slip = self._slip(name)
        if slip:
            raise ExpressionError(slip, tok.start, tok.end)
        if len(self.found) >= MAX_PARAMETERS:
            raise ExpressionError(f"too many parameters: at most {MAX_PARAMETERS} names besides the variables",
                                  tok.start, tok.end)
        self.parameters.add(name)
        self.found.append(name)

    def _pieces(self, name: str) -> list[str] | None:
        """``name`` split into variable names (``xy`` -> [x, y], ``x1x2`` -> [x1, x2]), or None."""
        names = sorted((*self.variables, *self.columns), key=len, reverse=True)
        out, i = [], 0
        while i < len(name):
            for v in names:
                if name.startswith(v, i):
                    out.append(v)
                    i += len(v)
                    break
            else:
                return None
        return out

    def _slip(self, name: str) -> str:
        """Why ``name`` is probably a mistake rather than a new parameter ("" if it is not)."""
        if keyword.iskeyword(name) or keyword.issoftkeyword(name):
            return f"'{name}' is a reserved word, not allowed in a formula; give the parameter another name"
        if name.startswith("_"):
            return f"'{name}': names cannot start with '_'"
        if len(name) > MAX_NAME_CHARS:
            return f"the name '{name[:20]}…' is too long for a parameter (at most {MAX_NAME_CHARS} characters)"
        pieces = self._pieces(name)
        if pieces and len(pieces) > 1:
            return f"unknown name '{name}' (did you mean {'*'.join(pieces)}?)"
        for fname in sorted(FUNCTIONS, key=len, reverse=True):
            rest = name[len(fname):]
            if name.startswith(fname) and rest and (self.is_value(rest) or self._pieces(rest) or rest.isdigit()):
                return f"unknown name '{name}' (did you mean {fname}({rest})?)"
        known = [n for n in (*self.variables, *self.columns) if len(n) > 1]
        hint = difflib.get_close_matches(name, known, n=1, cutoff=0.75) if len(name) > 1 else []
        if hint:
            return f"unknown name '{name}' (did you mean {hint[0]}?)"
        return ""

    def _unknown(self, name: str, call: bool) -> str:
        if call:
            hint = difflib.get_close_matches(name, FUNCTIONS, n=1)
            msg = f"unknown function '{name}'"
            return msg + (f" (did you mean {hint[0]}?)" if hint else "")
        slip = self._slip(name)
        if slip:
            return slip
        hint = difflib.get_close_matches(name, [*self.variables, *self.columns, *CONSTANTS, *self.parameters],
                                         n=1)
        msg = f"unknown name '{name}'"
        if hint:
            return msg + f" (did you mean {hint[0]}?)"
        return msg + f" (the variables are {', '.join(self.variables)}; other names must be parameters)"


_VALUE_END = {"num", "name", ")"}
_VALUE_START = {"num", "name", "("}


def _rewrite(text: str, tokens: list[_Token], names: _Names) -> tuple[str, list[int]]:
    """Join tokens into Python syntax with explicit ``*``; return it and a typed offset per character."""
    out: list[str] = []
    where: list[int] = []

    def emit(s: str, pos: int) -> None:
        out.append(s)
        where.extend([pos] * len(s))

    prev: _Token | None = None
    for idx, tok in enumerate(tokens):
        nxt = tokens[idx + 1] if idx + 1 < len(tokens) else None
        if tok.kind == "name":
            names.check(tok, nxt is not None and nxt.kind == "(")
        if prev is not None and prev.kind in _VALUE_END and tok.kind in _VALUE_START:
            if prev.kind == "name" and prev.text in FUNCTIONS:
                pass  # a call: sin(…)
            elif prev.kind == "num" and tok.kind == "num":
                raise ExpressionError("two numbers in a row: add an operator between them", prev.start, tok.end)
            else:
                emit("*", tok.start)
        if out and tok.kind in ("num", "name") and out[-1][-1:].isalnum():
            emit(" ", tok.start)
        if tok.kind in ("num", "name"):
            # Each character maps to its typed position (rewritten names and numbers keep their length,
            # except the unicode look-alikes, which map to their single typed character).
            for k, ch in enumerate(tok.text):
                out.append(ch)
                where.append(min(tok.start + k, tok.end - 1))
        else:
            emit(tok.text, tok.start)
        prev = tok
    where.append(len(text))
    return "".join(out), where


def _num_log10(value: sympy.Expr) -> float:
    """log10 of |value| for a sympy number, without computing it exactly."""
    if isinstance(value, sympy.Rational):  # exact: Python's log10 takes big integers
        return -math.inf if value.p == 0 else math.log10(abs(value.p)) - math.log10(value.q)
    if isinstance(value, sympy.Float):
        import mpmath

        mp = value._to_mpmath(53)
        return -math.inf if mp == 0 else float(mpmath.log10(abs(mp)))
    try:
        v = abs(float(value))
    except (OverflowError, TypeError, ValueError):
        return math.inf
    if v == 0:
        return -math.inf
    return math.log10(v) if math.isfinite(v) else math.inf


class _Builder:
    """Builds a sympy expression from a whitelisted Python AST."""

    def __init__(self, text: str, where: list[int], names: _Names):
        self.text = text
        self.where = where
        self.names = names

    def span(self, node: ast.AST) -> tuple[int, int]:
        a = self.where[min(node.col_offset, len(self.where) - 1)]
        b_idx = max(node.end_col_offset - 1, node.col_offset)
        b = self.where[min(b_idx, len(self.where) - 1)] + 1
        return a, max(b, a + 1)

    def fail(self, node: ast.AST, message: str):
        raise ExpressionError(message, *self.span(node))

    def build(self, node: ast.AST, depth: int = 0) -> sympy.Expr:
        if depth > MAX_DEPTH:
            self.fail(node, "the expression is nested too deeply")
        if isinstance(node, ast.Constant):
            return self._number(node)
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.build(node.operand, depth + 1)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp):
            return self._binop(node, depth)
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        self.fail(node, "this is not part of a mathematical expression")

    def _number(self, node: ast.Constant) -> sympy.Expr:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(node, "only real numbers are allowed")
        if isinstance(value, int):
            if value.bit_length() > 1023:
                self.fail(node, "this number is too large")
            return sympy.Integer(value)
        if not math.isfinite(value):
            self.fail(node, "this number is too large")
        return sympy.Float(value)

    def _name(self, node: ast.Name) -> sympy.Expr:
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        if self.names.is_value(node.id):
            return symbol(node.id)
        self.fail(node, f"unknown name '{node.id}'")  # the tokenizer normally catches this first

    _OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
    _CHAINS = {"+": "+-", "-": "+-", "*": "*/", "/": "*/"}

    def _binop(self, node: ast.BinOp, depth: int) -> sympy.Expr:
        op = self._OPS.get(type(node.op))
        if op is None:
            self.fail(node, "this operator is not supported")
        if op == "**":
            return self._power(node, self.build(node.left, depth + 1), self.build(node.right, depth + 1))
        # a + b - c + … parses as a left-leaning chain; walk it iteratively so a long sum is neither
        # "too deep" nor a Python recursion, and let sympy build the n-ary Add/Mul in one go.
        chain = []
        left: ast.AST = node
        while isinstance(left, ast.BinOp) and self._OPS.get(type(left.op), "") in self._CHAINS[op]:
            chain.append(left)
            left = left.left
        terms = [self.build(left, depth + 1)]
        for link in reversed(chain):
            right = self.build(link.right, depth + 1)
            kind = self._OPS[type(link.op)]
            if kind == "-":
                right = -right
            elif kind == "/":
                if right == 0:
                    self.fail(link, "division by zero")
                right = self._apply(link, lambda r=right: 1 / r)
            terms.append(right)
        value = self._apply(node, lambda: sympy.Add(*terms) if op in "+-" else sympy.Mul(*terms))
        if not value.free_symbols:
            return self._numeric(node, value)
        # the numbers sympy folded together (10^300 * 10^300 * x) must fit in floating point too
        constant = value.as_coeff_Add()[0] if isinstance(value, sympy.Add) else value.as_coeff_Mul()[0]
        if constant.is_Number and _num_log10(constant) > MAX_LOG10:
            self.fail(node, f"the number {_short(constant)} in this part is too large for floating-point numbers")
        return value

    def _power(self, node: ast.BinOp, base: sympy.Expr, exponent: sympy.Expr) -> sympy.Expr:
        if base.is_number and exponent.is_number:
            if base.is_zero:
                if exponent.is_negative:
                    self.fail(node, "division by zero (0 to a negative power)")
                return self._numeric(node, base**exponent)  # 0^0 = 1, 0^p = 0
            try:
                size = float(exponent) * _num_log10(base)
            except (TypeError, ValueError, OverflowError):
                size = math.inf
            # |size| bounds the digits an exact power would have: (2/3)^(10^12) is as costly as 10^(10^11).
            if not abs(size) <= MAX_LOG10:
                if not math.isfinite(size):
                    shown = "an astronomically large or small number"
                else:
                    shown = f"about 10^{size:.0f}"
                which = "small" if size < 0 else "large"
                self.fail(node, f"this power is too {which} for floating-point numbers ({shown})")
            return self._numeric(node, self._apply(node, lambda: base**exponent))
        if exponent.is_number and _num_log10(exponent) > 12:
            self.fail(node, "this exponent is too large")
        if base.is_number and base.is_negative:
            text = self.text[slice(*self.span(node.left))]
            self.fail(node, f"a negative number to a variable power is not a real number ({text} to a "
                            f"fractional power is complex); use abs({text}) or a positive base")
        return self._apply(node, lambda: base**exponent)

    def _apply(self, node: ast.AST, make):
        """``make()``, with sympy's own refusals (comparing complex numbers, overflow…) blamed on ``node``."""
        try:
            return make()
        except ExpressionError:
            raise
        except RecursionError:
            self.fail(node, "this part is too complex to compute")
        except (ArithmeticError, ValueError, TypeError, AttributeError, NotImplementedError, MemoryError) as exc:
            words = str(exc).split("\n")[0][:80]
            text = self.text[slice(*self.span(node))]
            text = text if len(text) <= 30 else "this part"
            self.fail(node, f"{text} cannot be computed ({words})" if words else f"{text} cannot be computed")

    def _numeric(self, node: ast.AST, value: sympy.Expr) -> sympy.Expr:
        """Check a constant (no variables, parameters or columns): real and within floating-point range."""
        if value.free_symbols:
            return value
        if value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            self.fail(node, "this part is undefined (division by zero or an infinite value)")
        try:
            number = complex(value.evalf(20))
        except RecursionError:
            self.fail(node, "this value is too large for floating-point numbers")
        except (TypeError, ValueError, OverflowError, ArithmeticError):
            self.fail(node, "this value is too large for floating-point numbers")
        if abs(number.imag) > 1e-12 * max(abs(number.real), 1.0):
            text = self.text[slice(*self.span(node))]
            self.fail(node, f"{text} is not a real number (it is {_complex_words(number)})")
        if not math.isfinite(number.real) or abs(number.real) > 1.7976931348623157e308:
            self.fail(node, "this value is too large for floating-point numbers")
        return value

    def _call(self, node: ast.Call, depth: int) -> sympy.Expr:
        if not isinstance(node.func, ast.Name):
            self.fail(node, "only named functions such as sin(x) can be called")
        if node.keywords:
            self.fail(node.keywords[0].value, "keyword arguments are not supported")
        name = node.func.id
        fn = FUNCTIONS.get(name)
        if fn is None:
            self.fail(node.func, f"unknown function '{name}'")
        if any(isinstance(a, ast.Starred) for a in node.args):
            self.fail(node, "'*' unpacking is not supported")
        if not fn.min_args <= len(node.args) <= fn.max_args:
            want = str(fn.min_args) if fn.min_args == fn.max_args else f"{fn.min_args} to {fn.max_args}"
            self.fail(node, f"{name} takes {want} argument{'s' if fn.max_args > 1 else ''}: {fn.usage}")
        args = [self.build(a, depth + 1) for a in node.args]
        if name == "log" and len(args) == 2:
            base = args[1]
            if base.is_number and not (base.is_positive and base != 1):
                self.fail(node.args[1], "the base of a logarithm must be a positive number other than 1")
        value = self._apply(node, lambda: fn.build(*args))
        return self._numeric(node, value) if all(not a.free_symbols for a in args) else value


def check_names(names: Iterable[str], what: str, *, taken: Iterable[str] = (), at_most: int = MAX_VARIABLES,
                at_least: int = 0) -> tuple[str, ...]:
    """Validate declared variable, column or parameter names; raise ExpressionError naming the bad one."""
    names = tuple(names)
    taken = set(taken)
    if len(names) < at_least:
        raise ExpressionError(f"at least {at_least} {what} {'is' if at_least == 1 else 'are'} needed", 0, 0)
    if len(names) > at_most:
        raise ExpressionError(f"too many {what}s: {len(names)} (at most {at_most})", 0, 0)
    seen: set[str] = set()
    for n in names:
        if not isinstance(n, str) or not n.isascii() or not n.isidentifier() or n.startswith("_"):
            raise ExpressionError(f"{n!r} cannot be a {what} name: use letters, digits and _, starting with a letter",
                                  0, 0)
        if len(n) > MAX_NAME_CHARS:
            raise ExpressionError(f"the {what} name '{n[:20]}…' is too long (at most {MAX_NAME_CHARS} characters)",
                                  0, 0)
        if keyword.iskeyword(n) or keyword.issoftkeyword(n):
            raise ExpressionError(f"'{n}' is a reserved word and cannot be a {what} name", 0, 0)
        if n in FUNCTIONS or n in CONSTANTS:
            raise ExpressionError(f"'{n}' is a function or constant and cannot be a {what} name", 0, 0)
        if n in seen or n in taken:
            raise ExpressionError(f"the name '{n}' is used twice", 0, 0)
        seen.add(n)
    return names


def parse_expression(text: str, parameters: Iterable[str] = (), *, variables: Iterable[str] = DEFAULT_VARIABLES,
                     columns: Iterable[str] = (), free_parameters: bool = False) -> sympy.Expr:
    """Parse typed text into a sympy expression in the variables, data columns and parameters.

    Parameters
    ----------
    text : the expression as typed, e.g. ``"(1-x)^2 + 100(y-x^2)^2"``.
    parameters : names besides the variables that may appear (they become real sympy symbols).
    variables : the coordinates being optimised (default x, y).
    columns : names of data columns a per-example loss may use.
    free_parameters : when True, any other plain name becomes a parameter too (``a x^2 + y^2``), except names
        that look like slips (``xy``, ``sinx``, a near-miss of a column); find them in the result's
        ``free_symbols``.

    Raises
    ------
    ExpressionError
        With ``start``/``end`` pointing at the offending characters.
    """
    if not isinstance(text, str):
        raise ExpressionError("the expression must be text", 0, 0)
    variables = check_names(variables, "variable", at_least=1)
    columns = check_names(columns, "data column", taken=variables, at_most=64)
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is too long ({len(text)} characters; at most {MAX_LENGTH})",
                              MAX_LENGTH, len(text))
    if not text.strip():
        example = "x^2 + y^2" if variables == DEFAULT_VARIABLES else " + ".join(f"{v}^2" for v in variables[:3])
        raise ExpressionError(f"type an expression in {', '.join(variables)}, e.g. {example}", 0, len(text))
    param_names = [p for p in parameters if p not in variables and p not in columns]
    for p in param_names:
        if (not isinstance(p, str) or not p.isidentifier() or not p.isascii() or p in FUNCTIONS or p in CONSTANTS
                or keyword.iskeyword(p) or p.startswith("_")):
            raise ExpressionError(f"'{p}' cannot be used as a parameter name", 0, 0)
    names = _Names(param_names, variables, columns, free_parameters)
    tokens = _tokenize(text)
    _check_parentheses(tokens, text)
    _check_operators(tokens)
    rewritten, where = _rewrite(text, tokens, names)
    try:
        tree = ast.parse(rewritten, mode="eval")
    except SyntaxError as exc:
        raise _syntax_error(exc, text, where) from None
    except (RecursionError, MemoryError, ValueError):
        raise ExpressionError("the expression is nested too deeply", 0, len(text)) from None
    try:
        expr = _Builder(text, where, names).build(tree.body)
    except RecursionError:
        raise ExpressionError("the expression is nested too deeply", 0, len(text)) from None
    return _check_result(expr, text)


def _short(number: sympy.Expr) -> str:
    text = str(number)
    return text if len(text) <= 20 else f"about 10^{_num_log10(number):.0f}" if math.isfinite(
        _num_log10(number)) else "(astronomical)"


def _complex_words(z: complex) -> str:
    return f"{z.real:.4g} {'+' if z.imag >= 0 else '-'} {abs(z.imag):.4g}i"


def _syntax_error(exc: SyntaxError, text: str, where: list[int]) -> ExpressionError:
    offset = (exc.offset or 1) - 1
    pos = where[min(max(offset, 0), len(where) - 1)]
    if pos >= len(text):
        return ExpressionError("the expression ends too early: something is missing at the end",
                               max(len(text.rstrip()) - 1, 0), len(text))
    end = pos + 1
    return ExpressionError(f"unexpected {text[pos:end]!r} here", pos, end)


def _check_result(expr: sympy.Expr, text: str) -> sympy.Expr:
    if expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise ExpressionError("the expression is undefined (division by zero or an infinite value)",
                              0, len(text))
    if expr.has(sympy.I):
        raise ExpressionError("the expression has imaginary values; surfaces must be real", 0, len(text))
    return expr
