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
from explorer.data import DataError, read_csv
from explorer.expression import ExpressionError, check_names
from explorer.surface import check_defined, compile_surface

__all__ = ["inspect_main"]

PROG = "main.py inspect"


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, no usage block
        raise _UsageError(message)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description="Print f, its gradient, its Hessian and its critical points.")
    p.add_argument("expression", help='the function, e.g. "(x^2 + y - 11)^2 + (x + y^2 - 7)^2"')
    p.add_argument("--variables", default="x,y", metavar="NAMES",
                   help="the variables, comma-separated (default x,y; 1 to 20 names, e.g. w,b or x1,x2,x3)")
    p.add_argument("--range", nargs=3, action="append", default=[], metavar=("NAME", "A", "B"),
                   help="domain searched for critical points along one variable (default -5 5; repeatable)")
    p.add_argument("--x-range", nargs=2, type=float, default=None, metavar=("A", "B"),
                   help="same as --range x A B")
    p.add_argument("--y-range", nargs=2, type=float, default=None, metavar=("C", "D"),
                   help="same as --range y C D")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="value of a parameter used in the expression (repeatable; others are 1)")
    p.add_argument("--data", metavar="CSV", help="a CSV file: the expression is the loss of one row, averaged")
    p.add_argument("--sum", action="store_true", help="with --data: sum the per-row losses instead of averaging")
    return p


def _ranges(args, variables: tuple[str, ...]) -> tuple[tuple[float, float], ...]:
    ranges = {v: (-5.0, 5.0) for v in variables}
    given = [(name, a, b) for name, a, b in args.range]
    for flag, value in (("x", args.x_range), ("y", args.y_range)):
        if value is not None:
            given.append((flag, str(value[0]), str(value[1])))
    for name, a, b in given:
        if name not in ranges:
            raise _UsageError(f"--range {name}: '{name}' is not a variable (the variables are {', '.join(variables)})")
        try:
            lo, hi = float(a), float(b)
        except ValueError:
            raise _UsageError(f"--range {name} {a} {b}: expected two numbers") from None
        flag = f"{name}-range" if name in ("x", "y") and not args.range else f"range {name}"
        ranges[name] = _check_range(flag, (lo, hi))
    return tuple(ranges[v] for v in variables)


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
    if max(abs(a), abs(b)) > 1e100:
        raise _UsageError(f"--{name} {a:g} {b:g}: the bounds must be within ±1e100")
    return float(a), float(b)


def _num(v: float) -> str:
    v = round(v, 6) + 0.0  # + 0.0: no "-0.000000"
    return f"{v:.6f}" if abs(v) < 1e7 else f"{v:.6e}"


def _block(title: str, expr) -> str:
    body = sympy.pretty(expr, use_unicode=True)
    return f"{title}\n" + "\n".join("  " + line for line in body.splitlines())


def _fmt_box(ranges) -> str:
    return " × ".join(f"[{lo:g}, {hi:g}]" for lo, hi in ranges)


def report(surface, *ranges) -> str:
    """The text ``inspect`` prints for a compiled surface, critical points searched in the box ``ranges``."""
    names = surface.variable_names
    args = ", ".join(names)
    grad = sympy.Matrix(surface.gradient_exprs)
    hess = sympy.Matrix(surface.hessian_exprs)
    f_title = f"f({args}) ="
    if surface.data is not None:
        mean = "mean" if surface.reduction == "mean" else "sum"
        f_title = (f"f({args}) = {mean} over the {len(surface.data)} data rows of ℓ, where ℓ({args}; "
                   f"{', '.join(surface.columns)}) =")
    parts = [_block(f_title, surface.expr), _block(f"∇ℓ({args}) =" if surface.data is not None else
                                                  f"∇f({args}) =", grad),
             _block(f"H({args}) =" if surface.data is None else f"∇²ℓ({args}) =", hess)]
    if surface.parameters:
        parts.append("parameters: " + ", ".join(f"{k} = {v:g}" for k, v in surface.parameters.items()))
    points = critical_points(surface, *ranges)
    rows = [f"critical points in {_fmt_box(ranges)}: {len(points)}"]
    if points:
        d = len(names)
        shown = list(range(d)) if d <= 4 else [0, d - 1]
        lam_titles = [f"λ{i + 1}" for i in shown] if d <= 4 else ["λmin", "λmax"]
        head = f"  {'kind':<11}" + ("" if d <= 2 else f"{'index':>6}")
        head += "".join(f"{n:>14}" for n in names) + f"{'f(' + args + ')' if d <= 3 else 'f':>16}"
        head += "".join(f"{t:>14}" for t in lam_titles)
        rows.append(head)
        for c in points:
            line = f"  {c.kind:<11}" + ("" if d <= 2 else f"{c.index:>6}")
            line += "".join(f"{_num(v):>14}" for v in c.xy) + f"{_num(c.value):>16}"
            line += "".join(f"{_num(c.eigenvalues[i]):>14}" for i in shown)
            rows.append(line)
    parts.append("\n".join(rows))
    return "\n\n".join(parts) + "\n"


def inspect_main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code (0 ok, 2 bad input)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = _parser().parse_args(argv)
        variables = tuple(v.strip() for v in args.variables.split(",") if v.strip())
        check_names(variables, "variable", at_least=1)
        ranges = _ranges(args, variables)
        params = _parameters(args.param)
        data = None
        if args.data:
            data = read_csv(args.data)
        elif args.sum:
            raise _UsageError("--sum needs --data")
        surface = compile_surface(args.expression, params or None, variables=variables, data=data,
                                  reduction="sum" if args.sum else "mean")
        check_defined(surface, ranges)
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    except _UsageError as exc:
        print(f"error: inspect: {exc}", file=sys.stderr)
        return 2
    except DataError as exc:
        print(f"error: inspect: --data {exc}", file=sys.stderr)
        return 2
    except ExpressionError as exc:
        if exc.end == exc.start == 0 and not args.expression.startswith(exc.message[:1]):
            print(f"error: inspect: {exc.message}", file=sys.stderr)
            return 2
        where = f" at column {exc.start + 1}" if exc.end > exc.start else ""
        print(f"error: inspect: bad expression{where}: {exc.message}  [{args.expression}]", file=sys.stderr)
        return 2
    sys.stdout.write(report(surface, *ranges))
    return 0


if __name__ == "__main__":
    sys.exit(inspect_main())
