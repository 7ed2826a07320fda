"""Upgrading preset tables written by older versions of the format, one registered step at a time.

Each step takes the table of version ``v`` and returns the table of version ``v + 1``; :func:`migrate`
chains them up to :data:`explorer.preset_schema.VERSION`. Version 1 is the first published format; version 2
(any number of variables, data, minibatches) replaced ``x_range``/``y_range`` by ``variables`` and ``ranges``
(:func:`_ranges_per_variable`). For example, had a version 0 kept the learning rate at the top of each run
(``lr = 0.1`` next to ``optimizer``), its step would be::

    @migration(0)
    def _lr_into_params(data):
        for run in data.get("runs", []):
            if "lr" in run:
                run.setdefault("params", {})["lr"] = run.pop("lr")
        return data

(``tests/test_preset.py`` registers exactly this step to test the mechanism.) Steps receive a deep copy
and may change it in place; ``version`` is set by :func:`migrate`, not by the step.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from explorer.preset_schema import VERSION, PresetError

Migration = Callable[[dict], dict]

#: from-version -> step producing the table of from-version + 1.
MIGRATIONS: dict[int, Migration] = {}


def migration(from_version: int) -> Callable[[Migration], Migration]:
    """Decorator registering the step that upgrades a table of ``from_version`` to ``from_version + 1``."""

    def register(step: Migration) -> Migration:
        MIGRATIONS[from_version] = step
        return step

    return register


def migrate(data: dict, version: int, path: object = "<dict>") -> dict:
    """Return ``data`` (a table of format ``version``) upgraded to :data:`VERSION`; ``data`` is not changed.

    Raises :class:`PresetError` (field ``version``) for a version from the future, a version older than any
    registered step reaches, or a step that fails on this table.
    """
    if version > VERSION:
        raise PresetError(path, "version", f"this file was written by a newer version of Gradient Descent "
                                           f"Explorer (format version {version}); this version reads up to "
                                           f"{VERSION}. Please update the app to open it")
    data = copy.deepcopy(data)
    while version < VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise PresetError(path, "version", f"format version {version} is older than any this version of "
                                               f"Gradient Descent Explorer can read (it reads "
                                               f"{min(MIGRATIONS, default=VERSION)} to {VERSION})")
        try:
            data = step(data)
        except PresetError as e:  # a step that checked a field of the old format names it
            raise PresetError(path, e.field, e.problem) from e
        except Exception as e:  # an old file the step did not foresee
            raise PresetError(path, "version",
                              f"cannot upgrade this format version {version} file: {e}") from e
        version += 1
        data["version"] = version
    return data


@migration(1)
def _ranges_per_variable(data: dict) -> dict:
    """Version 1 -> 2: ``[surface] x_range, y_range`` become ``variables = ["x", "y"]`` and ``ranges``.

    Everything else in a version-1 file (two-number starts and minima, parameters, runs, view) is already
    valid version 2. A version-1 surface without both ranges is left as it is, for the validator to name.
    """
    surface = data.get("surface")
    if isinstance(surface, dict) and "ranges" not in surface and "variables" not in surface:
        from explorer.preset_schema import _Checker

        c = _Checker("<version 1>")
        ranges = [list(c.interval(c.required(surface, key, f"surface.{key}"), f"surface.{key}"))
                  for key in ("x_range", "y_range")]
        del surface["x_range"], surface["y_range"]
        data["surface"] = {"variables": ["x", "y"], "ranges": ranges, **surface}
    return data
