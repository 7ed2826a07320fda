"""Hostile and careless input, measured: for each class of issue 11, how many inputs the tests try and the
longest time and largest memory any of them took, through every command-line entry point.

Run from the repository root:  python bench/hostile.py
Each input runs in a fresh process (``main.py inspect`` / ``main.py simulate``), as a user would meet it; the
peak memory is the larger of the process's own and its compile worker's maximum resident size.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests.test_hostile import ESCAPES, MESSAGES, NESTED, UNBOUNDED, _preset_text  # noqa: E402

WRAP = ("import resource, runpy, sys; sys.argv = ['main.py'] + sys.argv[1:]\n"
        "try:\n    runpy.run_path({main!r}, run_name='__main__')\nexcept SystemExit as e:\n    code = e.code\n"
        "else:\n    code = 0\n"
        # VmHWM for the process itself: Linux carries ru_maxrss across exec (it would report its parent's peak)
        "me = int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1])\n"
        "kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "print('PEAK_KB', max(me, kids), file=sys.stderr)\nsys.exit(code)\n")


def run(*args) -> tuple[float, float, int, str]:
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", WRAP.format(main=os.path.join(ROOT, "main.py")), *args],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    seconds = time.perf_counter() - t0
    lines = done.stderr.strip().splitlines()
    peak = next((int(line.split()[1]) / 1024 for line in lines if line.startswith("PEAK_KB")), float("nan"))
    message = next((line for line in lines if not line.startswith("PEAK_KB")), "")
    return seconds, peak, done.returncode, message


def main() -> None:
    classes = {
        "1 unbounded symbolic work": [t for t, _ in UNBOUNDED],
        "2 exceptions escaping": [t for t, _ in ESCAPES],
        "6 misleading messages": [t for t, _, _ in MESSAGES],
    }
    with tempfile.TemporaryDirectory() as folder:
        print(f"{'class':28s} {'inputs':>6s} {'runs':>5s} {'longest s':>10s} {'peak MB':>8s}  exit codes")
        for name, texts in classes.items():
            worst_t, worst_m, codes, n = 0.0, 0.0, set(), 0
            for k, text in enumerate(texts):
                lesson = os.path.join(folder, f"{k}.toml")
                with open(lesson, "w", encoding="utf-8") as fh:
                    fh.write(_preset_text(text))
                for args in (("inspect", text), ("simulate", lesson)):
                    seconds, peak, code, _ = run(*args)
                    worst_t, worst_m, n = max(worst_t, seconds), max(worst_m, peak), n + 1
                    codes.add(code)
            print(f"{name:28s} {len(texts):6d} {n:5d} {worst_t:10.2f} {worst_m:8.0f}  {sorted(codes)}")
        worst_t, worst_m, codes = 0.0, 0.0, set()
        for k, (_, make) in enumerate(NESTED):
            lesson = os.path.join(folder, f"nested{k}.toml")
            with open(lesson, "w", encoding="utf-8") as fh:
                fh.write(make(_preset_text("x^2 + y^2")))
            seconds, peak, code, _ = run("simulate", lesson)
            worst_t, worst_m = max(worst_t, seconds), max(worst_m, peak)
            codes.add(code)
        n = len(NESTED)
        print(f"{'4 deep nesting':28s} {n:6d} {n:5d} {worst_t:10.2f} {worst_m:8.0f}  {sorted(codes)}")
    print("target: every input ends within 10 s and 1 GB with exit code 2 (0 where the formula is fine)")


if __name__ == "__main__":
    main()
