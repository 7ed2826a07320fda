"""How a comparison is shown, as typed objects with an event per field (napari's ``EventedModel``, reduced).

Two kinds, kept apart as napari keeps layers apart from the session:

* :class:`ViewSettings` belong to the lesson and are saved in a preset's ``[view]`` table: the overlays a
  teacher switched on, the colour and height scales, the parameter sliders' ranges, the legend. Changing
  one is an edit of the document (undoable, marks it modified).
* :class:`Session` belongs to this sitting at the computer and is never saved and never marks anything
  modified: presentation mode, whether the basin map is shown.

(The current step and the selected run are session state too; they live on the
:class:`~explorer.model.Comparison`. Camera and dock layout live in the window.)

Both are used the same way::

    view = ViewSettings()
    view.events.show_gradient.connect(on_gradient)    # on_gradient(new_value)
    view.changed.connect(on_any)                       # on_any(field_name), once per field that changed
    view.show_gradient = True                          # validated; emits only when the value really changes
    view.update({"show_field": True, "contour_levels": "log"})   # validated first, then set, then emitted

A bad value raises ``ValueError`` naming the field and what it accepts; nothing is set.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, ClassVar

from explorer.events import Signal


@dataclass(frozen=True)
class Field:
    """One setting: its default, its kind ("bool", "choice", "ranges" or "slice") and, for a choice, the options."""

    default: Any
    kind: str
    doc: str
    choices: tuple[str, ...] = ()

    def check(self, name: str, value: Any) -> Any:
        """The value in canonical form, or ``ValueError("name: problem")``."""
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise ValueError(f"{name}: must be true or false, not {value!r}")
            return value
        if self.kind == "choice":
            if value not in self.choices:
                options = ", ".join(f'"{c}"' for c in self.choices)
                raise ValueError(f"{name}: must be one of {options}, not {value!r}")
            return value
        if self.kind == "ranges":
            return _check_ranges(name, value)
        if self.kind == "slice":
            return _check_slice(value)
        raise AssertionError(self.kind)


def _check_ranges(name: str, value: Any) -> dict[str, tuple[float, float]]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{name}: must be a table of parameter name = [low, high], not {value!r}")
    out = {}
    for key, pair in value.items():
        where = f"{name}.{key}"
        if not isinstance(key, str) or not key:
            raise ValueError(f"{where}: a parameter name must be a non-empty string")
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ValueError(f"{where}: must be 2 numbers [low, high], not {pair!r}")
        lo, hi = pair
        for v in (lo, hi):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ValueError(f"{where}: must be 2 finite numbers [low, high], not {pair!r}")
        if not lo < hi:
            raise ValueError(f"{where}: low must be less than high, got [{lo}, {hi}]")
        out[key] = (float(lo), float(hi))
    return out


def _check_slice(value: Any):
    """A :class:`~explorer.slicing.SliceSpec` from itself or its ``[view.slice]`` table; ``ValueError`` says
    "slice.KEY: problem" (names and lengths that depend on the surface are checked when the plane is made)."""
    from explorer.slicing import SliceSpec

    if isinstance(value, SliceSpec):
        return value
    return SliceSpec.from_dict(value)


class Evented:
    """Typed fields (the class's :data:`FIELDS`) with an event each (see the module docstring).

    ``changing(name, old, new)`` is emitted just before a field changes (the model snapshots the document
    there to make an undoable edit), ``events.<name>(new)`` and ``changed(name)`` just after.
    """

    FIELDS: ClassVar[dict[str, Field]] = {}

    def __init__(self, **values: Any) -> None:
        object.__setattr__(self, "_values", {name: f.default for name, f in self.FIELDS.items()})
        object.__setattr__(self, "events", SimpleNamespace(**{name: Signal() for name in self.FIELDS}))
        object.__setattr__(self, "changed", Signal())
        object.__setattr__(self, "changing", Signal())
        if values:
            self.update(values)

    def __getattr__(self, name: str) -> Any:
        values = self.__dict__.get("_values", {})
        if name in values:
            return values[name]
        raise AttributeError(f"{type(self).__name__} has no setting {name!r}{_did_you_mean(name, self.FIELDS)}")

    def __setattr__(self, name: str, value: Any) -> None:
        self.update({name: value})

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self._values == other._values

    def __repr__(self) -> str:
        changed = ", ".join(f"{k}={v!r}" for k, v in self.as_dict().items())
        return f"{type(self).__name__}({changed})"

    def check(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """``values`` validated and in canonical form (``ValueError`` for an unknown name or a bad value)."""
        out = {}
        for name, value in values.items():
            field = self.FIELDS.get(name)
            if field is None:
                raise ValueError(f"{name}: unknown setting{_did_you_mean(name, self.FIELDS)}")
            out[name] = field.check(name, value)
        return out

    def update(self, values: Mapping[str, Any]) -> list[str]:
        """Set several fields at once: all are validated before any is set. Returns the names that changed."""
        checked = self.check(values)
        changes = [(n, self._values[n], v) for n, v in checked.items() if self._values[n] != v]
        for name, old, new in changes:
            self.changing.emit(name, old, new)
        for name, _old, new in changes:
            self._values[name] = new
        for name, _old, new in changes:
            getattr(self.events, name).emit(new)
            self.changed.emit(name)
        return [name for name, _old, _new in changes]

    def reset(self) -> list[str]:
        """Every field back to its default."""
        return self.update({name: f.default for name, f in self.FIELDS.items()})

    def as_dict(self, *, all_fields: bool = False) -> dict[str, Any]:
        """The fields that differ from their defaults (every field with ``all_fields``), as plain values."""
        out = {}
        for name, value in self._values.items():
            if all_fields or value != self.FIELDS[name].default:
                out[name] = _plain(value)
        return out

    @contextmanager
    def blocked(self) -> Iterator[None]:
        """No events inside the ``with`` block (values still change)."""
        signals = [self.changed, self.changing, *vars(self.events).values()]
        for s in signals:
            s._blocked += 1
        try:
            yield
        finally:
            for s in signals:
                s._blocked -= 1


def _plain(value: Any) -> Any:
    """A field's value as TOML-plain data (tables of lists; a slice as its ``[view.slice]`` table)."""
    if isinstance(value, dict):
        return {k: list(v) for k, v in value.items()}
    to_dict = getattr(value, "to_dict", None)
    return to_dict() if callable(to_dict) else value


def _did_you_mean(name: str, names) -> str:
    close = difflib.get_close_matches(name, list(names), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _default_slice():
    from explorer.slicing import SliceSpec

    return SliceSpec()


OVERLAYS = (
    ("show_gradient", "Gradient −∇f"),
    ("show_update", "Update Taken"),
    ("show_velocity", "Velocity / First Moment"),
    ("show_step_scale", "Per-Coordinate Step Scale"),
    ("show_field", "Gradient Field"),
    ("show_critical", "Critical Points"),
    ("show_taylor", "Local Quadratic Model (Taylor, Hessian)"),
)


class ViewSettings(Evented):
    """What a lesson shows; saved in the preset's ``[view]`` table (only the values that differ from these
    defaults are written)."""

    FIELDS: ClassVar[dict[str, Field]] = {
        "contour_levels": Field("auto", "choice", "spacing of the map's iso-lines",
                                ("auto", "linear", "log")),
        "surface_scale": Field("auto", "choice", "how heights are scaled in the 3-D view",
                               ("auto", "linear", "log", "clip")),
        "show_legend": Field(True, "bool", "the legend of runs on the map and in the 3-D view"),
        "show_minima": Field(True, "bool", "the known minima marked on the map"),
        **{key: Field(False, "bool", text) for key, text in OVERLAYS},
        "show_fan": Field(False, "bool", "faint paths of 12 other noise seeds of the selected run"),
        "basin_mode": Field("minimum", "choice", "how the basin map is coloured",
                            ("minimum", "steps", "diverged")),
        "parameter_ranges": Field({}, "ranges", "each parameter slider's [low, high]"),
        "slice": Field(_default_slice(), "slice", "for a surface of 3 or more variables: the plane the map and "
                                                  "the 3-D view show (explorer.slicing.SliceSpec)"),
    }

    #: keys older files wrote under [view] that now mean something else (handled by :meth:`from_dict`)
    LEGACY = ("log_levels", "step", "presentation", "show_basins", "camera")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> tuple[ViewSettings, dict[str, Any]]:
        """Settings from a preset's ``[view]`` table, and the session keys found there (e.g. ``step``).

        ``log_levels = true`` (older files) means ``contour_levels = "log"``. Raises ``ValueError`` naming
        the key for an unknown key or a bad value.
        """
        data = dict(data or {})
        session = {k: data.pop(k) for k in ("step", "presentation", "show_basins", "camera") if k in data}
        if "log_levels" in data:
            log = data.pop("log_levels")
            if not isinstance(log, bool):
                raise ValueError(f"log_levels: must be true or false, not {log!r}")
            if log and "contour_levels" not in data:
                data["contour_levels"] = "log"
        if "step" in session:
            step = session["step"]
            if isinstance(step, bool) or not isinstance(step, int) or step < 0:
                raise ValueError(f"step: must be a whole number ≥ 0, not {step!r}")
        return cls(**data), session


def check_view(data: Mapping[str, Any] | None) -> None:
    """Validate a preset's ``[view]`` table; ``ValueError("key: problem")`` for the first bad entry."""
    ViewSettings.from_dict(data)


class Session(Evented):
    """This sitting's state: never saved, never an edit."""

    FIELDS: ClassVar[dict[str, Field]] = {
        "presentation": Field(False, "bool", "presentation mode (F11): large type, thick lines"),
        "show_basins": Field(False, "bool", "the basin map over the contour view"),
    }


__all__ = ["OVERLAYS", "Evented", "Field", "Session", "ViewSettings", "check_view", "color_distance",
           "distinct_color"]


# ---------------------------------------------------------------------------------------------------------
# Run colours that stay apart: for colour-blind eyes, and after a GIF's palette reduction.
#
# Colour vision deficiency is simulated with the matrices of Machado, Oliveira & Fernandes, "A physiologically-
# based model for simulation of color vision deficiency", IEEE TVCG 15(6), 2009 (severity 1.0, linear sRGB);
# distances are CIE76 ΔE in CIELAB (D65).

_CVD = {
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216),
                   (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413),
                     (-0.011820, 0.042940, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602),
                   (0.004733, 0.691367, 0.303900)),
}


def _linear_rgb(hex_color: str) -> tuple[float, float, float]:
    h = hex_color.lstrip("#")
    out = []
    for i in (0, 2, 4):
        c = int(h[i:i + 2], 16) / 255.0
        out.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    return tuple(out)


def _lab(rgb: tuple[float, float, float]) -> tuple[float, float, float]:
    r, g, b = (min(max(c, 0.0), 1.0) for c in rgb)
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29

    fx, fy, fz = f(x), f(y), f(z)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def color_distance(a: str, b: str) -> float:
    """How far apart two "#rrggbb" colours look: the smallest CIE76 ΔE between them as seen with normal
    vision, protanopia, deuteranopia and (weighted by 4/3: it is about a hundred times rarer) tritanopia.
    Below :data:`DISTINCT` two thin paths on a map are easily mistaken for each other (Okabe–Ito's orange
    and vermilion are 18 apart for a deuteranope, its orange and yellow 17)."""
    ra, rb = _linear_rgb(a), _linear_rgb(b)
    out = math.dist(_lab(ra), _lab(rb))
    for name, m in _CVD.items():
        x, y = (tuple(sum(m[i][j] * c[j] for j in range(3)) for i in range(3)) for c in (ra, rb))
        out = min(out, math.dist(_lab(x), _lab(y)) * (4 / 3 if name == "tritanopia" else 1.0))
    return out


DISTINCT = 20.0


def distinct_color(used, palette) -> str:
    """The colour of ``palette`` farthest (by :func:`color_distance`) from every colour in ``used``."""
    used = [u.lower() for u in used]
    free = [c for c in palette if c.lower() not in used] or list(palette)
    if not used:
        return free[0]
    return max(free, key=lambda c: min(color_distance(c, u) for u in used))
