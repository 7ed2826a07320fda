"""Headless subcommands: ``simulate``, ``presets`` and ``inspect`` (no Qt is imported here).

Any bad input ends with exit code 2 and one line on stderr that says what and where — never a traceback.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

CSV_HEADER = ["run", "label", "optimizer", "step", "x", "y", "loss", "grad_x", "grad_y"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2 (argparse's own code), no usage dump
        raise SystemExit(_fail(f"{self.prog}: {message}"))


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def trajectory_rows(trajectories):
    """Rows of the trajectory CSV, one per run per step (shared by ``simulate`` and the window's export)."""
    for index, traj in enumerate(trajectories):
        run = traj.run
        for step, (point, loss, grad) in enumerate(zip(traj.points, traj.loss, traj.grads)):
            yield [index, run.label, run.optimizer, step, *map(repr, map(float, point)), repr(float(loss)),
                   *map(repr, map(float, grad))]


def write_trajectories_csv(trajectories, path: str | Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_HEADER)
        writer.writerows(trajectory_rows(trajectories))


def _simulate(argv: list[str]) -> int:
    from explorer.preset import PresetError, load_preset, resolve_preset
    from explorer.simulation import simulate

    parser = _Parser(prog="simulate", description="Run a preset's optimizers headless.")
    parser.add_argument("preset", help="built-in preset name or a .toml path")
    parser.add_argument("--csv", metavar="OUT", help="write every step of every run to this CSV file")
    args = parser.parse_args(argv)
    try:
        preset = load_preset(resolve_preset(args.preset))
        trajectories = simulate(preset)
    except PresetError as err:
        return _fail(str(err))
    if args.csv:
        try:
            write_trajectories_csv(trajectories, args.csv)
        except OSError as err:
            return _fail(f"cannot write {args.csv}: {err.strerror or err}")
    for index, traj in enumerate(trajectories):
        print(f"run {index} {traj.run.label!r} ({traj.run.optimizer}): {traj.status}, "
              f"{traj.stop_step} steps, final loss {float(traj.loss[-1]):.6g} — {traj.message}")
    return 0


def _presets(argv: list[str]) -> int:
    from explorer.preset import PresetError, builtin_presets, load_preset

    _Parser(prog="presets", description="List the built-in presets.").parse_args(argv)
    for name, path in sorted(builtin_presets().items()):
        try:
            title = load_preset(path).title
        except PresetError as err:  # a broken built-in is a bug, but listing must not crash
            title = f"(cannot be read: {err.problem})"
        print(f"{name:28s} {title}")
    return 0


def _inspect(argv: list[str]) -> int:
    from explorer.inspect_cli import inspect_main

    return inspect_main(argv)


COMMANDS = {"simulate": _simulate, "presets": _presets, "inspect": _inspect}


def run_headless(command: str, argv: list[str]) -> int:
    try:
        return COMMANDS[command](argv)
    except SystemExit as done:
        return int(done.code or 0)
    except KeyboardInterrupt:
        return _fail("interrupted")
    except Exception as exc:  # last resort: one line, not a traceback
        return _fail(f"{command} failed: {type(exc).__name__}: {exc}")
