"""``python main.py render PRESET (--png OUT | --gif OUT | --mp4 OUT) [--step N] [--fps N] [--size WxH]
[--theme light|dark] [--presentation]``.

Draws the window without showing it to the user and exits: README screenshots, slides, and tests. Run under
Xvfb (``xvfb-run -a``) so the 3-D view is drawn. Bad input exits 2 with one line, never a traceback.
"""

from __future__ import annotations

import argparse
import re
import sys


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        print(f"error: render: {message}", file=sys.stderr)
        raise SystemExit(2)


def _size(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d{2,5})\s*[xX×]\s*(\d{2,5})\s*", text)
    if not m:
        raise argparse.ArgumentTypeError(f"size must look like 1600x1000, got {text!r}")
    w, h = int(m.group(1)), int(m.group(2))
    if not (320 <= w <= 7680 and 240 <= h <= 4320):
        raise argparse.ArgumentTypeError(f"size {w}x{h} is outside 320x240 … 7680x4320")
    return w, h


def _fps(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"fps must be a number, got {text!r}") from None
    if not 1 <= value <= 120:
        raise argparse.ArgumentTypeError(f"fps must be between 1 and 120, got {value:g}")
    return value


def render_main(argv: list[str]) -> int:
    parser = _Parser(prog="render", description="Draw the window for a preset to PNG, GIF or MP4.")
    parser.add_argument("preset", help="built-in preset name or a .toml path")
    parser.add_argument("--png", metavar="OUT", help="the whole window at --step (default: the last step)")
    parser.add_argument("--gif", metavar="OUT", help="the playback as an animated GIF")
    parser.add_argument("--mp4", metavar="OUT", help="the playback as an MP4 video")
    parser.add_argument("--step", type=int, default=None, help="step shown in the PNG")
    parser.add_argument("--fps", type=_fps, default=30.0, help="frames per second of GIF/MP4 (default 30)")
    parser.add_argument("--size", type=_size, default=(1600, 1000), help="window size, e.g. 1600x1000")
    parser.add_argument("--theme", choices=("light", "dark"), default="light", help="colour theme")
    parser.add_argument("--presentation", action="store_true", help="as in presentation mode (F11)")
    try:
        args = parser.parse_args(argv)
    except SystemExit as done:
        return int(done.code or 0)
    if not (args.png or args.gif or args.mp4):
        print("error: render: say what to write: --png OUT, --gif OUT or --mp4 OUT", file=sys.stderr)
        return 2
    from explorer.preset import PresetError, load_preset, resolve_preset

    try:
        preset = load_preset(resolve_preset(args.preset))
    except PresetError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.step is not None and args.step < 0:
        print(f"error: render: --step must be >= 0, got {args.step}", file=sys.stderr)
        return 2
    from widgets.export import render_animation
    from widgets.render import render_window_png

    try:
        if args.png:
            summary: list[str] = []
            render_window_png(preset, args.png, step=args.step, size=args.size, theme=args.theme,
                              presentation=args.presentation, summary=summary)
            print(f"wrote {args.png}")
            _print_view(summary)
        for out in (args.gif, args.mp4):
            if out:
                summary = []
                frames = render_animation(preset, out, fps=args.fps, size=args.size, theme=args.theme,
                                          summary=summary)
                print(f"wrote {out} ({frames} frames at {args.fps:g} fps)")
                _print_view(summary, "at the last frame, ")
    except OSError as err:
        print(f"error: render: cannot write: {err}", file=sys.stderr)
        return 2
    return 0


def _print_view(lines: list[str], when: str = "") -> None:
    """What the map shows, when it is not simply the surface of two variables (a slice, the graph of f)."""
    if lines:
        print(f"the map shows, {when}" + lines[0])
        for line in lines[1:]:
            print(f"  {line}")
