"""The headless command line: simulate, presets, errors (exit 2, one line, no traceback), and no Qt."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*args, timeout=180):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


def test_simulate_writes_csv_and_prints_a_summary_per_run(tmp_path):
    out = tmp_path / "race.csv"
    done = run("simulate", "rosenbrock-race", "--csv", str(out))
    assert done.returncode == 0, done.stderr
    with open(out, newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["run", "label", "optimizer", "step", "x", "y", "loss", "grad_x", "grad_y"]
    runs = {r[0] for r in rows[1:]}
    summary = [line for line in done.stdout.splitlines() if line.startswith("run ")]
    assert len(summary) == len(runs) >= 2
    first = [r for r in rows[1:] if r[0] == "0"]
    assert first[0][3] == "0" and int(first[-1][3]) == len(first) - 1
    assert all(word in done.stdout for word in ("final loss",))


def test_simulate_imports_no_qt(tmp_path):
    code = ("import sys, runpy; sys.argv = ['main.py', 'simulate', 'rosenbrock-race']; "
            "sys.path.insert(0, {!r})\n"
            "try:\n    runpy.run_path({!r}, run_name='__main__')\nexcept SystemExit:\n    pass\n"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'shiboken6')]\n"
            "print('QT', bad)").format(str(ROOT), str(ROOT / "main.py"))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert "QT []" in done.stdout, done.stdout + done.stderr


@pytest.mark.parametrize("args,words", [
    (("simulate", "no-such-preset"), "no-such-preset"),
    (("simulate",), "preset"),
    (("simulate", "rosenbrock-race", "--bogus"), "--bogus"),
    (("inspect", "x + sinx"), "sin(x)"),
])
def test_bad_input_exits_2_with_one_line_and_no_traceback(args, words):
    done = run(*args)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert words in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_simulate_reports_a_broken_preset_file_by_field(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('format = "gradient-descent-explorer/preset"\nversion = 1\ntitle = "t"\n'
                   '[surface]\nexpression = "x^2 + y^2"\nx_range = [-1.0, 1.0]\ny_range = [-1.0, 1.0]\n'
                   '[[runs]]\nlabel = "GD"\noptimizer = "sgd"\nstart = [0.5, 0.5]\nparams = { lr = -1.0 }\n')
    done = run("simulate", str(bad))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "runs[0].params.lr" in done.stderr


def test_presets_lists_builtin_names_and_titles():
    done = run("presets")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) >= 12
    assert any(line.startswith("rosenbrock-race") for line in lines)


@pytest.mark.parametrize("args", [("render", "himmelblau", "--png", "out.png"), ()])
def test_window_commands_without_a_display_explain_instead_of_aborting(args, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path, env=env)
    assert done.returncode == 2
    assert "xvfb-run" in done.stderr and "Traceback" not in done.stderr


def test_simulate_names_csv_columns_after_the_variables(tmp_path):
    lesson = tmp_path / "three.toml"
    lesson.write_text('format = "gradient-descent-explorer/preset"\nversion = 2\ntitle = "t"\nsteps = 20\n'
                      '[surface]\nvariables = ["a1", "a2", "a3"]\nranges = [[-1.0, 1.0], [-1.0, 1.0], [-1.0, 1.0]]\n'
                      'expression = "a1^2 + 2 a2^2 + 3 a3^2"\n'
                      '[[runs]]\nlabel = "GD"\noptimizer = "sgd"\nstart = [0.5, 0.5, 0.5]\nparams = { lr = 0.1 }\n')
    out = tmp_path / "three.csv"
    done = run("simulate", str(lesson), "--csv", str(out))
    assert done.returncode == 0, done.stderr
    with open(out, newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["run", "label", "optimizer", "step", "a1", "a2", "a3", "loss", "grad_a1", "grad_a2", "grad_a3"]
    assert [float(v) for v in rows[2][4:7]] == pytest.approx([0.4, 0.3, 0.2])  # one GD step: x - 0.1 * ∇f
    assert float(rows[1][7]) == pytest.approx(0.25 + 0.5 + 0.75)


def test_simulate_one_variable(tmp_path):
    lesson = tmp_path / "one.toml"
    lesson.write_text('format = "gradient-descent-explorer/preset"\nversion = 2\ntitle = "t"\nsteps = 5\n'
                      '[surface]\nvariables = ["x"]\nranges = [[-3.0, 3.0]]\nexpression = "(x - 1)^2"\n'
                      '[[runs]]\noptimizer = "sgd"\nstart = [3.0]\nparams = { lr = 0.25 }\n')
    out = tmp_path / "one.csv"
    done = run("simulate", str(lesson), "--csv", str(out))
    assert done.returncode == 0, done.stderr
    with open(out, newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["run", "label", "optimizer", "step", "x", "loss", "grad_x"]
    assert [float(r[4]) for r in rows[1:4]] == pytest.approx([3.0, 2.0, 1.5])  # halves the distance to 1


def test_simulate_ten_variables(tmp_path):
    """The 10-variable lesson: ten columns named after its variables, and the first step is x - lr ∇f."""
    import numpy as np

    from explorer.preset import builtin_presets, load_preset

    out = tmp_path / "ten.csv"
    done = run("simulate", "hidden-valley-10d", "--csv", str(out))
    assert done.returncode == 0, done.stderr
    with open(out, newline="") as fh:
        rows = list(csv.reader(fh))
    names = [f"x{i}" for i in range(1, 11)]
    assert rows[0] == ["run", "label", "optimizer", "step", *names, "loss", *(f"grad_{n}" for n in names)]
    preset = load_preset(builtin_presets()["hidden-valley-10d"])
    run0 = preset.runs[0]
    assert run0.optimizer == "sgd" and "momentum" not in run0.params
    surface = preset.build_surface()
    start = np.array(run0.start, dtype=float)
    first = np.array([float(v) for v in rows[2][4:14]])
    assert first == pytest.approx(start - run0.params["lr"] * surface.gradient(start), rel=1e-12, abs=1e-12)
    assert float(rows[1][14]) == pytest.approx(float(surface.value(start)))
