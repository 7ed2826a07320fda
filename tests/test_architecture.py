"""The layering holds and the docs say what CI does (no Qt needed).

- pyproject.toml's import-linter contract: ``explorer`` never imports Qt, pyqtgraph, OpenGL or ``widgets``;
  checked on the repository, and shown to catch a violation in a scratch copy of the contract.
- README.md's apt line for the tests is exactly the list ``.ci/run`` installs, and its test command is the
  one ``.ci/run`` runs.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
needs_linter = pytest.mark.skipif(not Path(LINT).exists(), reason="import-linter is not installed")


def _lint(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run([LINT, "--config", str(folder / "pyproject.toml"), "--no-cache"], cwd=folder,
                          capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(folder), "PATH": str(Path(sys.executable).parent)})


@needs_linter
def test_the_core_never_imports_qt():
    done = _lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 kept, 0 broken" in done.stdout


@needs_linter
def test_the_contract_catches_a_qt_import(tmp_path):
    """The same contract on a scratch tree whose core imports pyqtgraph through a helper: it must break."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    contract = config["contracts"][0]
    (tmp_path / "pyproject.toml").write_text(
        "[tool.importlinter]\nroot_packages = [\"explorer\", \"widgets\"]\ninclude_external_packages = true\n"
        "[[tool.importlinter.contracts]]\nname = \"core\"\ntype = \"forbidden\"\n"
        f"source_modules = {contract['source_modules']!r}\nforbidden_modules = {contract['forbidden_modules']!r}\n"
        .replace("'", '"'), encoding="utf-8")
    for package in ("explorer", "widgets"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "explorer" / "helper.py").write_text("import pyqtgraph\n")
    (tmp_path / "explorer" / "model.py").write_text("from explorer import helper\n")
    done = _lint(tmp_path)
    assert done.returncode != 0
    assert "explorer.helper -> pyqtgraph" in done.stdout, done.stdout


def _ci_apt_packages() -> list[str]:
    text = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    match = re.search(r'APT_PACKAGES="([^"]*)"', text)
    assert match, "APT_PACKAGES not found in .ci/run"
    return match[1].split()


def _readme_blocks() -> list[str]:
    return re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)


def _apt_packages(block: str) -> list[str]:
    words = shlex.split(next(line for line in block.splitlines() if "apt-get install" in line))
    return [w for w in words[words.index("install") + 1:] if not w.startswith("-")]


def test_readme_apt_lines_are_what_ci_installs():
    tests = next(b for b in _readme_blocks() if "pytest" in b)
    assert _apt_packages(tests) == _ci_apt_packages()
    app = next(b for b in _readme_blocks() if "main.py" in b and "pytest" not in b)
    assert _apt_packages(app) == [p for p in _ci_apt_packages() if p not in ("xvfb", "xauth", "xdotool")]


def test_readme_test_command_is_the_one_ci_runs():
    block = next(b for b in _readme_blocks() if "pytest" in b)
    readme_command = re.search(r"&& (python -m pytest[^\n&]*)$", block.strip(), re.M)[1].strip()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    full_suite = re.search(r"# The README's test command, exactly:\n(?:.*\n)*?(python -m pytest[^\n]*)\n", ci)
    assert full_suite and full_suite[1].strip() == readme_command
