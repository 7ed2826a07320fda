"""Gradient Descent Explorer — entry point.

    python main.py [PRESET]                      open the window (optionally on a built-in preset or a file)
    python main.py simulate PRESET --csv OUT     run a preset headless, write trajectories as CSV
    python main.py render PRESET --png OUT       draw the window to a PNG (also --gif / --mp4)
    python main.py presets                       list the built-in presets
    python main.py inspect "EXPR"                print f, ∇f, the Hessian and the critical points

Imports are deferred: the headless subcommands never load Qt, and worker processes that re-import this
module stay cheap.
"""

from __future__ import annotations

import sys

HEADLESS = {"simulate", "presets", "inspect"}
USAGE = __doc__.split("\n\n")[1]


def _display_problem() -> str | None:
    """Qt aborts the process when it has no screen; say so plainly instead (Linux without X or Wayland)."""
    import os

    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return ("no display to draw on (DISPLAY is not set). On a machine without a screen run it under a virtual "
            "one: xvfb-run -a -s '-screen 0 1600x1000x24' python main.py …")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv else None
    if command in ("-h", "--help"):
        print(USAGE)
        return 0
    if command in ("-V", "--version"):
        from explorer import __version__

        print(f"Gradient Descent Explorer {__version__}")
        return 0
    if command in HEADLESS:
        from explorer.cli import run_headless

        return run_headless(command, argv[1:])
    if command == "render" or command not in HEADLESS:
        problem = _display_problem()
        if problem:
            print(f"error: {problem}", file=sys.stderr)
            return 2
    if command == "render":
        from widgets.render_cli import render_main

        return render_main(argv[1:])
    preset = argv[0] if argv else None
    if preset is not None:
        from explorer.preset import PresetError, load_preset, resolve_preset

        try:
            load_preset(resolve_preset(preset))
        except PresetError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
    from widgets.app import run

    return run(preset, [sys.argv[0], *argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
