"""Reading and writing preset files (TOML, format ``gradient-descent-explorer/preset`` version 2).

A preset file looks like this (only ``format``, ``version``, ``title``, ``[surface]`` with ``expression``
and ``ranges``, and each run's ``optimizer`` and ``start`` are required)::

    format = "gradient-descent-explorer/preset"
    version = 2
    title = "Line fit"
    description = "Why adaptive methods take the valley floor."
    tolerance = 1e-8           # gradient-norm stop; 0 = never stop early
    steps = 500                # default step budget of the runs

    [surface]
    variables = ["w", "b"]     # the coordinates being optimised; default ["x", "y"]
    ranges = [[-3.0, 3.0], [-2.0, 2.0]]   # one [low, high] per variable
    expression = "(w*x + b - y)^2"        # with [data]: the loss of ONE example
    reduction = "mean"         # or "sum": how the per-example losses combine
    parameters = { a = 1.0 }   # values of the other names in the expression
    minima = [[1.0, 1.0]]      # known minima, one number per variable

    [data]
    columns = ["x", "y"]       # and rows = [[0.5, 1.2], ...]; or file = "points.csv" (relative to this file)
    rows = [[0.5, 1.2], [1.0, 2.1]]

    [[runs]]
    label = "Adam"
    optimizer = "adam"
    start = [-1.5, 2.0]        # one number per variable
    steps = 500
    color = "#e69f00"
    params = { lr = 0.05, betas = [0.9, 0.999] }   # torch.optim names; omitted ones take the defaults
    noise = { std = 0.0, seed = 0 }
    schedule = { kind = "cosine", T_max = 500 }
    batch = { size = 4, shuffle = true, drop_last = false, seed = 7 }   # absent: full batch
    visible = true

    [view]                     # the app's view settings (overlays, current step, colour scale, ...)

Version-1 files (``x_range``/``y_range`` instead of ``variables``/``ranges``) are upgraded on reading
(:mod:`explorer.migrations`). Loading validates everything (see :func:`explorer.preset_schema.check_preset`);
saving writes tidy TOML atomically (temporary file, fsync, rename). Built-in lessons live in the ``presets``
package at the repository root.
"""

from __future__ import annotations

import importlib.resources
import os
import re
import secrets
import stat
import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from explorer.data import DataError, read_csv
from explorer.migrations import migrate
from explorer.preset_schema import (
    FORMAT,
    MAX_FILE_BYTES,
    VERSION,
    DataSpec,
    Preset,
    PresetError,
    SurfaceSpec,
    check_preset,
    did_you_mean,
)

__all__ = ["FORMAT", "VERSION", "DataSpec", "Preset", "PresetError", "SurfaceSpec", "builtin_presets", "dumps_preset",
           "load_preset", "loads_preset", "preset_from_dict", "preset_to_dict", "resolve_preset",
           "save_preset"]


# ---------------------------------------------------------------------------------------------------------
# Reading

def load_preset(path: str | os.PathLike) -> Preset:
    """Read, upgrade and validate the preset file at ``path``; :class:`PresetError` says what is wrong."""
    try:
        with open(path, "rb") as file:
            if os.fstat(file.fileno()).st_size > MAX_FILE_BYTES:
                raise _too_large(path)
            raw = file.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise PresetError(path, "", f"cannot be read: {e.strerror or e}") from e
    if len(raw) > MAX_FILE_BYTES:
        raise _too_large(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise PresetError(path, "", f"is not UTF-8 text (byte {e.start} is {raw[e.start:e.start + 1]!r}); "
                                    f"save it with UTF-8 encoding") from e
    return loads_preset(text, source=str(path), base_dir=os.path.dirname(os.path.abspath(path)))


def _too_large(path: object) -> PresetError:
    return PresetError(path, "", f"is larger than {MAX_FILE_BYTES:,} bytes; a preset is a few kilobytes")


def loads_preset(text: str, source: str = "<string>", base_dir: str | None = None) -> Preset:
    """Parse, upgrade and validate preset TOML ``text``; ``source`` names it in error messages.

    base_dir : the folder a ``[data] file`` path is relative to (the preset file's folder).
    """
    text = text.removeprefix("\ufeff")  # a byte-order mark some Windows editors add
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise _too_large(source)
    if not text.strip():
        raise PresetError(source, "", f'is empty; a preset starts with format = "{FORMAT}"')
    _check_nesting(text, source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        message = str(e)
        where = re.search(r"\(at line (\d+), column (\d+)\)", message)
        message = message[:where.start()].strip() if where else message
        at = f" at line {where[1]}, column {where[2]}" if where else ""
        raise PresetError(source, "", f"is not valid TOML{at}: {message}") from e
    return preset_from_dict(data, source, base_dir)


MAX_NESTING = 8  # a preset needs 4: [view] parameter_ranges.a = [low, high]
_STRING = re.compile(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|#[^\n]*')
_DOTTED = re.compile(r"[A-Za-z0-9_\-\"]+(?:[ \t]*\.[ \t]*[A-Za-z0-9_\-\"]+)+")


def _check_nesting(text: str, source: object) -> None:
    """Refuse TOML nested deeper than :data:`MAX_NESTING` before parsing it.

    With strings and comments blanked out, counts the parts of dotted keys and table headers
    (``[a.b.c]``, ``a.b.c = 1``) and the open ``[``/``{`` of arrays and inline tables. Deep nesting costs the
    parser (its key bookkeeping grows with the square of the depth) and every later copy of the table
    recursion and memory out of proportion to the file's size.
    """
    skeleton = _STRING.sub(lambda m: '""' if m.group(0)[0] in "\"'" else "", text)
    worst, where = 0, 0
    for m in _DOTTED.finditer(skeleton):  # a long dotted chain anywhere (inline tables included)
        parts = m.group(0).count(".") + 1
        if parts > worst:
            worst, where = parts, skeleton.count("\n", 0, m.start())
    table = key = depth = 0
    for number, line in enumerate(skeleton.split("\n")):
        stripped = line.lstrip()
        if depth == 0 and stripped.startswith("["):
            table = stripped.strip("[").split("]")[0].count(".") + 1
            key = 0
            if table > worst:
                worst, where = table, number
            continue
        if depth == 0:
            head = stripped.split("=", 1)
            key = head[0].count(".") + 1 if len(head) == 2 else 0
        for c in line:
            if c in "[{":
                depth += 1
                if table + key + depth > worst:
                    worst, where = table + key + depth, number
            elif c in "]}":
                depth -= 1
    if worst > MAX_NESTING:
        raise PresetError(source, "", f"is nested {worst} levels deep at line {where + 1}; a preset needs at "
                                      f"most {MAX_NESTING}")


def preset_from_dict(data: Any, path: object = "<dict>", base_dir: str | None = None) -> Preset:
    """Check the format tag and version, upgrade old versions, validate, and build the :class:`Preset`."""
    if not isinstance(data, dict):
        raise PresetError(path, "", "must be a table")
    if "format" not in data:
        raise PresetError(path, "format", f'is missing; this is not a Gradient Descent Explorer preset '
                                          f'(it starts with format = "{FORMAT}")')
    if data["format"] != FORMAT:
        raise PresetError(path, "format", f'must be "{FORMAT}", not {data["format"]!r}; this is not a '
                                          f'Gradient Descent Explorer preset')
    version = data.get("version")
    if version is None:
        raise PresetError(path, "version", f"is missing (this version of the app writes version = {VERSION})")
    if isinstance(version, bool) or not isinstance(version, int):
        raise PresetError(path, "version", f"must be a whole number, not {version!r}")
    return check_preset(migrate(data, version, path), path, base_dir=base_dir)


# ---------------------------------------------------------------------------------------------------------
# Writing

def preset_to_dict(preset: Preset, base_dir: str | None = None) -> dict[str, Any]:
    """The TOML table of ``preset`` in file order, with None values and empty optional tables left out.

    base_dir : the folder the file will be written to. Data read from a CSV file is written as
    ``file = <path relative to base_dir>`` when that file still holds exactly these rows; otherwise (edited
    data, no base_dir, or a file that moved) the rows are written inline.
    """
    s = preset.surface
    surface: dict[str, Any] = {"variables": list(s.variables), "ranges": [list(r) for r in s.ranges],
                               "expression": s.expression}
    if preset.data is not None or s.reduction != "mean":
        surface["reduction"] = s.reduction
    if s.parameters:
        surface["parameters"] = dict(s.parameters)
    if s.minima:
        surface["minima"] = [list(m) for m in s.minima]
    data: dict[str, Any] = {"format": FORMAT, "version": VERSION, "title": preset.title,
                            "description": preset.description, "tolerance": preset.tolerance,
                            "steps": preset.steps, "surface": surface}
    if preset.data is not None:
        data["data"] = _data_entry(preset.data, base_dir)
    data["runs"] = []
    for run in preset.runs:
        entry: dict[str, Any] = {"label": run.label, "optimizer": run.optimizer, "start": list(run.start)}
        if run.steps is not None:
            entry["steps"] = run.steps
        if run.color is not None:
            entry["color"] = run.color
        if run.params:
            entry["params"] = dict(run.params)
        if run.noise is not None:
            entry["noise"] = {"std": run.noise.std, "seed": run.noise.seed}
        if run.schedule is not None:
            entry["schedule"] = {"kind": run.schedule.kind, **run.schedule.args}
        if run.batch is not None:
            b = run.batch
            entry["batch"] = {"size": b.size, "shuffle": b.shuffle, "drop_last": b.drop_last, "seed": b.seed}
        if not run.visible:
            entry["visible"] = False
        data["runs"].append(entry)
    if not data["runs"]:
        del data["runs"]
    if preset.view:
        data["view"] = dict(preset.view)
    return _plain(data, "")


def _data_entry(spec: DataSpec, base_dir: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"columns": list(spec.columns), "rows": spec.dataset.rows.tolist()}
    if spec.file is not None and base_dir is not None:
        try:
            unchanged = read_csv(spec.file) == spec.dataset
        except DataError:
            unchanged = False
        if unchanged:
            entry = {"file": os.path.relpath(spec.file, base_dir).replace(os.sep, "/")}
    for key in ("prediction", "show", "on_map"):
        if getattr(spec, key) is not None:
            entry[key] = getattr(spec, key)
    if spec.standardise:
        entry["standardise"] = list(spec.standardise)
    return entry


def _plain(value: Any, at: str) -> Any:
    """``value`` as TOML-ready Python: tuples -> lists, numpy scalars/arrays -> Python numbers/lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v, f"{at}.{k}" if at else str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, f"{at}[{i}]") for i, v in enumerate(value)]
    if hasattr(value, "tolist") and not isinstance(value, (bool, int, float, str)):  # numpy
        return _plain(value.tolist(), at)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return value
    raise PresetError("<preset>", at, f"{value!r} cannot be saved in a preset file (TOML has no "
                                      f"{type(value).__name__})")


def dumps_preset(preset: Preset, base_dir: str | None = None) -> str:
    """Tidy, human-editable TOML for ``preset``; what it writes always loads back equal.

    base_dir : the folder the text will be saved in (see :func:`preset_to_dict`); None writes data inline.
    Raises :class:`PresetError` if the preset holds something a preset file cannot (a value that fails
    validation, a None or an object in ``view``).
    """
    data = preset_to_dict(preset, base_dir)
    check_preset(data, "<preset being saved>", compile_expression=False, base_dir=base_dir)
    text = _tidy_toml(data)
    if tomllib.loads(text) != data:  # belt and braces: tomli-w's own layout is always exact
        text = tomli_w.dumps(data)
    return text


def _tidy_toml(data: dict[str, Any]) -> str:
    """Top-level keys, ``[surface]``, ``[data]`` (a row per line), ``[[runs]]`` (arrays and small tables
    inline), then ``[view]``."""
    out = [f"{_key(k)} = {_inline(v)}" for k, v in data.items() if k not in ("surface", "data", "runs", "view")]
    out += ["", "[surface]"] + [f"{_key(k)} = {_inline(v)}" for k, v in data["surface"].items()]
    if "data" in data:
        out += ["", "[data]"]
        for k, v in sorted(data["data"].items(), key=lambda kv: kv[0] == "rows"):  # the long rows last
            if k == "rows":
                out += ["rows = ["] + [f"  {_inline(row)}," for row in v] + ["]"]
            else:
                out.append(f"{_key(k)} = {_inline(v)}")
    for run in data.get("runs", []):
        out += ["", "[[runs]]"] + [f"{_key(k)} = {_inline(v)}" for k, v in run.items()]
    text = "\n".join(out) + "\n"
    if "view" in data:
        text += "\n" + tomli_w.dumps({"view": data["view"]})
    return text


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else tomli_w.dumps({"k": key})[4:-1]


def _inline(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{_key(k)} = {_inline(v)}" for k, v in value.items())
        return f"{{ {items} }}" if value else "{}"
    # tomli-w formats scalars exactly (floats by repr, strings with escapes; multi-line text as """…""")
    return tomli_w.dumps({"k": value}, multiline_strings=True)[4:-1]


def save_preset(preset: Preset, path: str | os.PathLike) -> None:
    """Write ``preset`` to ``path`` atomically.

    The text goes to a temporary file in the same folder, is flushed and fsync'ed, then renamed over
    ``path`` (``os.replace`` is atomic on POSIX and Windows). On any failure the temporary file is removed
    and the previous file stays byte-identical; the error is a :class:`PresetError` (nothing written) or an
    ``OSError`` naming ``path`` and the reason.
    """
    target = Path(os.path.realpath(path))  # write through a symlink instead of replacing it
    data = dumps_preset(preset, str(target.parent)).encode("utf-8")
    temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        try:
            with open(temp, "xb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            if target.exists():
                os.chmod(temp, stat.S_IMODE(os.stat(target).st_mode))
            os.replace(temp, target)
        except BaseException:
            try:
                os.unlink(temp)
            except OSError:
                pass
            raise
    except OSError as e:
        raise OSError(e.errno, f"could not save the preset: {e.strerror or e}", str(path)) from e
    _fsync_folder(target.parent)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened (Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------------------------------------
# Built-in lessons

def builtin_presets() -> dict[str, Path]:
    """Built-in lesson name (file stem, e.g. ``"rosenbrock-race"``) -> path, sorted by name."""
    try:
        root = importlib.resources.files("presets")
    except ModuleNotFoundError:  # running from a checkout without the package on sys.path
        root = Path(__file__).resolve().parent.parent / "presets"
    files = sorted((entry for entry in root.iterdir() if entry.name.endswith(".toml")), key=lambda e: e.name)
    return {entry.name.removesuffix(".toml"): Path(str(entry)) for entry in files}


def resolve_preset(name_or_path: str | os.PathLike) -> Path:
    """The file for a built-in lesson name (``"rosenbrock-race"``) or a path to a preset file.

    A bare name without a folder or suffix is looked up among the built-ins first; anything else must be an
    existing file. Raises :class:`PresetError` listing the built-in names when it is neither.
    """
    text = os.fspath(name_or_path)
    builtins = builtin_presets()
    bare = isinstance(name_or_path, str) and os.sep not in text and "/" not in text and not Path(text).suffix
    if bare and text in builtins:
        return builtins[text]
    if Path(text).is_file():
        return Path(text)
    hint = did_you_mean(text, builtins) if bare else ""
    raise PresetError(text, "", f"is neither a preset file nor a built-in preset{hint}; built-in presets: "
                                f"{', '.join(builtins)}")
