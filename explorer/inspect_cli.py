"""``python main.py inspect "EXPR"``: f, ∇f, the Hessian and the classified critical points, in a terminal.

No Qt. Bad input ends with exit code 2 and one line on stderr naming the problem (for an expression: the
message and the column, 1-based, of the characters to blame); never a traceback.
"""

from __future__ import annotations

import argparse
import math
import sys

import sympy

from explorer.critical import critical_points
from explorer.expression import ExpressionError
from explorer.surface import compile_surface

__all__ = ["inspect_main"]

PROG = "main.py inspect"


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, no usage block
        raise _UsageError(message)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description="Print f, its gradient, its Hessian and its critical points.")
    p.add_argument("expression", help='the function of x and y, e.g. "(x^2 + y - 11)^2 + (x + y^2 - 7)^2"')
    p.add_argument("--x-range", nargs=2, type=float, default=(-5.0, 5.0), metavar=("A", "B"),
                   help="domain searched for critical points along x (default -5 5)")
    p.add_argument("--y-range", nargs=2, type=float, default=(-5.0, 5.0), metavar=("C", "D"),
                   help="domain searched for critical points along y (default -5 5)")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="value of a parameter used in the expression (repeatable)")
    return p


def _parameters(items: list[str]) -> dict[str, float]:
    values = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not sep or not name or not math.isfinite(value):
            raise _UsageError(f"--param {item!r}: expected NAME=NUMBER, e.g. --param a=1.5")
        values[name] = value
    return values


def _check_range(name: str, r) -> tuple[float, float]:
    a, b = r
    if not (math.isfinite(a) and math.isfinite(b)) or not a < b:
        raise _UsageError(f"--{name} {a:g} {b:g}: expected two finite numbers with the first smaller")
    return float(a), float(b)


def _num(v: float) -> str:
    v = round(v, 6) + 0.0  # + 0.0: no "-0.000000"
    return f"{v:.6f}" if abs(v) < 1e7 else f"{v:.6e}"


def _block(title: str, expr) -> str:
    body = sympy.pretty(expr, use_unicode=True)
    return f"{title}\n" + "\n".join("  " + line for line in body.splitlines())


def report(surface, x_range, y_range) -> str:
    """The text ``inspect`` prints for a compiled surface."""
    grad = sympy.Matrix(surface.gradient_exprs)
    hess = sympy.Matrix(surface.hessian_exprs)
    parts = [_block("f(x, y) =", surface.expr), _block("∇f(x, y) =", grad), _block("H(x, y) =", hess)]
    if surface.parameters:
        parts.append("parameters: " + ", ".join(f"{k} = {v:g}" for k, v in surface.parameters.items()))
    points = critical_points(surface, x_range, y_range)
    domain = f"[{x_range[0]:g}, {x_range[1]:g}] × [{y_range[0]:g}, {y_range[1]:g}]"
    rows = [f"critical points in {domain}: {len(points)}"]
    if points:
        rows.append(f"  {'kind':<11}{'x':>14}{'y':>14}{'f(x, y)':>16}{'λ1':>14}{'λ2':>14}")
        for c in points:
            rows.append(f"  {c.kind:<11}{_num(c.xy[0]):>14}{_num(c.xy[1]):>14}{_num(c.value):>16}"
                        f"{_num(c.eigenvalues[0]):>14}{_num(c.eigenvalues[1]):>14}")
    parts.append("\n".join(rows))
    return "\n\n".join(parts) + "\n"


def inspect_main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code (0 ok, 2 bad input)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = _parser().parse_args(argv)
        x_range = _check_range("x-range", args.x_range)
        y_range = _check_range("y-range", args.y_range)
        params = _parameters(args.param)
        surface = compile_surface(args.expression, params or None)
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    except _UsageError as exc:
        print(f"error: inspect: {exc}", file=sys.stderr)
        return 2
    except ExpressionError as exc:
        where = f" at column {exc.start + 1}" if exc.end > exc.start else ""
        hint = "; give it a value with --param NAME=VALUE" if exc.message.startswith("unknown name") else ""
        print(f"error: inspect: bad expression{where}: {exc.message}{hint}  [{args.expression}]",
              file=sys.stderr)
        return 2
    sys.stdout.write(report(surface, x_range, y_range))
    return 0


if __name__ == "__main__":
    sys.exit(inspect_main())
