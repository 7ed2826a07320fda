"""Headless subcommands: ``simulate``, ``presets`` and ``inspect`` (no Qt is imported here).

Any bad input ends with exit code 2 and one line on stderr that says what and where — never a traceback.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path


def csv_header(variables=("x", "y"), with_batch: bool = False) -> list[str]:
    """The trajectory CSV's columns: one per variable, named after it, then loss and grad_<name> per variable;
    ``batch_loss`` last for a comparison with data."""
    return ["run", "label", "optimizer", "step", *variables, "loss", *(f"grad_{v}" for v in variables),
            *(["batch_loss"] if with_batch else [])]


CSV_HEADER = csv_header()


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2 (argparse's own code), no usage dump
        raise SystemExit(_fail(f"{self.prog}: {message}"))


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def trajectory_rows(trajectories, with_batch: bool = False):
    """Rows of the trajectory CSV, one per run per step (shared by ``simulate`` and the window's export).

    with_batch : add the loss of the minibatch each step used (empty on a run's last point, which takes no
        step, and for full-batch runs it equals ``loss``).
    """
    for index, traj in enumerate(trajectories):
        run = traj.run
        record = getattr(traj, "batch", None)
        batch = None if not with_batch else (record.loss if record is not None else traj.loss)
        for step, (point, loss, grad) in enumerate(zip(traj.points, traj.loss, traj.grads)):
            row = [index, run.label, run.optimizer, step, *map(repr, map(float, point)), repr(float(loss)),
                   *map(repr, map(float, grad))]
            if with_batch:
                row.append(repr(float(batch[step])) if batch is not None and step < len(batch) else "")
            yield row


def write_trajectories_csv(trajectories, path: str | Path, variables=("x", "y"), with_batch: bool = False) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(csv_header(variables, with_batch))
        writer.writerows(trajectory_rows(trajectories, with_batch))


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
            write_trajectories_csv(trajectories, args.csv, preset.surface.variables, preset.data is not None)
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
