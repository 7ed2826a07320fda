"""``python main.py inspect "EXPR"``: derivatives and critical points in a terminal, without Qt (issue 6)."""

import subprocess
import sys
from pathlib import Path

import pytest

from explorer.inspect_cli import inspect_main

ROOT = Path(__file__).resolve().parents[1]
HIMMELBLAU = "(x^2 + y - 11)^2 + (x + y^2 - 7)^2"


def _table(out: str) -> list[list[str]]:
    lines = out.split("critical points in", 1)[1].splitlines()[2:]
    return [line.split() for line in lines if line.strip()]


def test_himmelblau_report(capsys):
    assert inspect_main([HIMMELBLAU]) == 0
    out = capsys.readouterr().out
    assert "f(x, y) =" in out and "∇f(x, y) =" in out and "H(x, y) =" in out
    assert "12⋅x" in out  # the Hessian entry 12x² + 4y - 42, pretty-printed, not LaTeX
    assert "\\frac" not in out and "\\left" not in out
    rows = _table(out)
    assert [r[0] for r in rows].count("minimum") == 4
    assert [r[0] for r in rows].count("saddle") == 4
    assert [r[0] for r in rows].count("maximum") == 1
    assert ["minimum", "3.000000", "2.000000", "0.000000"] in [r[:4] for r in rows]
    assert ["maximum", "-0.270845", "-0.923039"] in [r[:3] for r in rows]


def test_ranges_and_parameters(capsys):
    assert inspect_main(["a x^2 - b y^2", "--param", "a=2", "--param", "b=0.5",
                         "--x-range", "-1", "1", "--y-range", "-2", "3"]) == 0
    out = capsys.readouterr().out
    assert "parameters: a = 2, b = 0.5" in out
    assert "[-1, 1] × [-2, 3]" in out
    assert _table(out) == [["saddle", "0.000000", "0.000000", "0.000000", "-1.000000", "4.000000"]]


def test_no_critical_points(capsys):
    assert inspect_main(["x + y"]) == 0
    assert "critical points in [-5, 5] × [-5, 5]: 0" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "words"), [
    (["x^2 + )"], ["column 7", "')'"]),
    (["x + sinx"], ["sin(x)"]),
    (["x^2", "--range", "z", "0", "1"], ["'z' is not a variable"]),
    (["x^2", "--variables", "x,x"], ["used twice"]),
    (["w^2", "--variables", "w", "--data", "/nonexistent.csv"], ["--data", "cannot be read"]),
    (["x^2", "--param", "a"], ["--param 'a'", "NAME=NUMBER"]),
    (["x^2", "--x-range", "1", "-1"], ["--x-range 1 -1"]),
    (["x^2", "--y-range", "0", "zero"], ["--y-range", "invalid float value"]),
    ([], ["expression"]),
])
def test_bad_input_exits_2_with_one_line(capsys, argv, words):
    assert inspect_main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err
    assert err.count("\n") == 1 and err.startswith("error: inspect:")
    for w in words:
        assert w in err


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, encoding="utf-8",
                          timeout=120)


def test_main_py_inspect_runs_without_qt():
    code = ("import sys; from explorer.inspect_cli import inspect_main; rc = inspect_main(['x^2 - y^2']); "
            "assert 'PySide6' not in sys.modules and 'pyqtgraph' not in sys.modules; sys.exit(rc)")
    done = _run("-c", code)
    assert done.returncode == 0, done.stderr
    assert "saddle" in done.stdout


def test_main_py_inspect_bad_expression_has_no_traceback():
    done = _run("main.py", "inspect", "(x^2 + y")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and "error" in done.stderr
    ok = _run("main.py", "inspect", HIMMELBLAU)
    assert ok.returncode == 0, ok.stderr
    assert "3.584428" in ok.stdout


def test_free_letters_are_parameters_with_value_one(capsys):
    assert inspect_main(["a x^2 + y^2"]) == 0
    assert "parameters: a = 1" in capsys.readouterr().out


def test_one_variable(capsys):
    assert inspect_main(["x^3 - 3x", "--variables", "x", "--range", "x", "-3", "3"]) == 0
    out = capsys.readouterr().out
    assert "f(x) =" in out and "critical points in [-3, 3]: 2" in out
    rows = _table(out)
    assert ["minimum", "1.000000", "-2.000000", "6.000000"] in rows
    assert ["maximum", "-1.000000", "2.000000", "-6.000000"] in rows


def test_three_variables_list_the_saddle_index(capsys):
    argv = ["(x1-1)^2 + 10(x2+x1)^2 + x3^4 - x3^2", "--variables", "x1,x2,x3", "--range", "x3", "-2", "2"]
    assert inspect_main(argv) == 0
    out = capsys.readouterr().out
    assert "f(x1, x2, x3) =" in out and "× [-2, 2]: 3" in out
    rows = _table(out)
    assert sorted(r[:2] for r in rows) == [["minimum", "0"], ["minimum", "0"], ["saddle", "1"]]
    saddle = next(r for r in rows if r[0] == "saddle")
    assert saddle[2:6] == ["1.000000", "-1.000000", "0.000000", "0.000000"]


def test_ten_variables(capsys):
    names = ",".join(f"x{i}" for i in range(1, 11))
    expr = " + ".join(f"{i}*(x{i} - 1)^2" for i in range(1, 11))
    assert inspect_main([expr, "--variables", names]) == 0
    rows = _table(capsys.readouterr().out)
    assert len(rows) == 1 and rows[0][:2] == ["minimum", "0"]
    assert rows[0][2:12] == ["1.000000"] * 10
    assert rows[0][-2:] == ["2.000000", "20.000000"]  # λmin, λmax


def test_data_loss(tmp_path, capsys):
    csv = tmp_path / "points.csv"
    csv.write_text("x,y\n0,1\n1,3\n2,5\n")
    assert inspect_main(["(w*x + b - y)^2", "--variables", "w,b", "--data", str(csv)]) == 0
    out = capsys.readouterr().out
    assert "mean over the 3 data rows" in out
    assert _table(out)[0][:4] == ["minimum", "2.000000", "1.000000", "0.000000"]
