"""The compiled engine's disk cache: read-only folders are not an error, and a changed engine file recompiles.

Each test runs a fresh Python on a copy of the package whose ``__pycache__`` folders cannot be created (a
file stands in the way, which stops root too), with NUMBA_CACHE_DIR and the user cache folder under a file
as well: numba then has no folder of its own to write to. The script evaluates a surface and runs a racer
through the simulation engine; any warning is an error there (numba warns when it cannot cache).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = """
import sys, tempfile, warnings
warnings.simplefilter("error")
tempfile.tempdir = sys.argv[1]
import numpy as np
import explorer
from explorer.compiled import CACHE_DISABLED, cache_folder
from explorer.runs import RunSpec
from explorer.simulation import simulate_run
from explorer.surface import compile_surface
s = compile_surface("x^2 + 3 y^2")
print(explorer.__file__)
print(s.value(np.array([[1.0, 2.0]]))[0], s.gradient(np.array([[1.0, 2.0]]))[0].tolist())
print(cache_folder())
print(len(CACHE_DISABLED))
print(simulate_run(s, RunSpec("a", "adam", (1.0, 2.0), {"lr": 0.1}), steps=30).points[-1].tolist())
"""


def _expected_end() -> str:
    """Where the script's run ends when this process runs it (with whatever cache it has)."""
    from explorer.runs import RunSpec
    from explorer.simulation import simulate_run
    from explorer.surface import compile_surface

    s = compile_surface("x^2 + 3 y^2")
    return str(simulate_run(s, RunSpec("a", "adam", (1.0, 2.0), {"lr": 0.1}), steps=30).points[-1].tolist())


@pytest.fixture()
def read_only_install(tmp_path):
    pkg = tmp_path / "pkg"
    shutil.copytree(ROOT / "explorer", pkg / "explorer", ignore=shutil.ignore_patterns("__pycache__"))
    for folder in (pkg / "explorer", pkg / "explorer" / "optimizers"):
        (folder / "__pycache__").write_text("a file where the cache folder would go")
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    env = {**os.environ, "PYTHONPATH": str(pkg), "PYTHONDONTWRITEBYTECODE": "1",
           "NUMBA_CACHE_DIR": str(blocker / "numba"), "XDG_CACHE_HOME": str(blocker / "xdg"),
           "HOME": str(blocker / "home")}

    def run(temp_dir):
        done = subprocess.run([sys.executable, "-c", SCRIPT, str(temp_dir)], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        return done.stdout.splitlines()

    return pkg, blocker, run


def test_with_no_writable_cache_folder_the_kernels_compile_in_memory(read_only_install):
    pkg, blocker, run = read_only_install
    where, numbers, folder, disabled, end = run(blocker / "tmp")  # the temporary directory is blocked too
    assert where.startswith(str(pkg))
    assert numbers == "13.0 [2.0, 12.0]"
    assert folder == "None" and int(disabled) > 0
    assert end == _expected_end()  # the simulation engine too, compiled in memory


def test_a_read_only_install_caches_in_a_private_temporary_folder(read_only_install, tmp_path):
    pkg, _, run = read_only_install
    temp = tmp_path / "temp"
    temp.mkdir()
    where, numbers, folder, disabled, end = run(temp)
    assert numbers == "13.0 [2.0, 12.0]" and int(disabled) == 0 and end == _expected_end()
    private = temp / f"gradient-descent-explorer-numba-{os.getuid()}"
    assert folder.startswith(str(private))
    assert oct(private.stat().st_mode & 0o777) == oct(0o700)
    assert any(p.suffix == ".nbc" for p in private.rglob("*"))  # compiled code was written there
    assert run(temp)[1:] == [numbers, folder, disabled, end]  # and a second start loads it


PRELOAD = """
from explorer import compiled
from explorer.engine import drive
from explorer.tape import eval_points
assert not drive.signatures and not eval_points.signatures   # nothing is loaded at import
thread = compiled.preload()
assert compiled.preload() is thread                           # once per process
thread.join(300)
print(len(eval_points.signatures), len(drive.signatures))
"""


def test_preload_loads_the_first_windows_kernels_on_its_thread():
    """The window starts ``compiled.preload()`` so numba's start-up and the kernels load while it is built;
    its failures are swallowed (the real call reports them), so this checks that it does load them."""
    done = subprocess.run([sys.executable, "-c", PRELOAD], capture_output=True, text=True, timeout=600, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    evaluators, drivers = done.stdout.split()
    assert int(evaluators) >= 1 and int(drivers) >= 1, done.stdout
