"""Data for a loss averaged over examples: named numeric columns, read from a CSV file or a preset.

A :class:`Dataset` is immutable: editing a point makes a new one (:meth:`Dataset.with_row`, ...), so a
comparison can tell what changed and undo it. :func:`read_csv` refuses anything but a header row of names and
rows of finite numbers, and every refusal names the file, the row and the column.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from explorer.expression import ExpressionError, check_names

MAX_ROWS = 100_000
MAX_COLUMNS = 64
MAX_CSV_BYTES = 20_000_000


class DataError(ValueError):
    """Data that cannot be used. ``str(error)`` is ``"FILE: row R, column C: PROBLEM"`` (parts as known).

    row : 1-based line number in the file (the header is row 1), or None. column : column name or None.
    """

    def __init__(self, source: object, problem: str, *, row: int | None = None, column: str | None = None):
        self.source = str(source)
        self.problem = problem
        self.row = row
        self.column = column
        where = ", ".join(part for part in (f"row {row}" if row is not None else "",
                                            f"column '{column}'" if column is not None else "") if part)
        super().__init__(": ".join(part for part in (self.source, where, problem) if part))


@dataclass(frozen=True, eq=False)
class Dataset:
    """Named numeric columns.

    columns : column names (valid names in a formula), rows : (n, c) float64 array, read-only.
    """

    columns: tuple[str, ...]
    rows: np.ndarray

    def __post_init__(self) -> None:
        rows = np.array(self.rows, dtype=np.float64, ndmin=2) if np.size(self.rows) else np.zeros(
            (0, len(self.columns)))
        if rows.ndim != 2 or rows.shape[1] != len(self.columns):
            raise DataError("<data>", f"rows must have {len(self.columns)} numbers each, got shape {rows.shape}")
        rows.setflags(write=False)
        object.__setattr__(self, "columns", tuple(self.columns))
        object.__setattr__(self, "rows", rows)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Dataset) and self.columns == other.columns
                and self.rows.shape == other.rows.shape and bool(np.array_equal(self.rows, other.rows)))

    def __hash__(self) -> int:
        return hash((self.columns, self.rows.shape, self.rows.tobytes()))

    def __len__(self) -> int:
        return self.rows.shape[0]

    @property
    def n(self) -> int:
        return self.rows.shape[0]

    def column(self, name: str) -> np.ndarray:
        return self.rows[:, self.columns.index(name)]

    def with_row(self, i: int, values) -> Dataset:
        """A copy with row ``i`` replaced."""
        rows = self.rows.copy()
        rows[i] = np.asarray(values, dtype=float)
        return Dataset(self.columns, rows)

    def with_added(self, values) -> Dataset:
        return Dataset(self.columns, np.vstack([self.rows, np.asarray(values, dtype=float)[None, :]]))

    def without(self, i: int) -> Dataset:
        return Dataset(self.columns, np.delete(self.rows, i, axis=0))

    def standardised(self, names) -> Dataset:
        """A copy whose named columns have mean 0 and standard deviation 1 (constant columns only centred)."""
        rows = self.rows.copy()
        for name in names:
            j = self.columns.index(name)
            col = rows[:, j]
            sd = col.std()
            rows[:, j] = (col - col.mean()) / (sd if sd > 0 else 1.0)
        return Dataset(self.columns, rows)

    def to_csv_text(self) -> str:
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(self.columns)
        for row in self.rows:
            w.writerow([repr(float(v)) for v in row])
        return out.getvalue()


def make_dataset(columns, rows, source: object = "<data>") -> Dataset:
    """Validate column names and rows (lists of numbers) into a :class:`Dataset`; raise :class:`DataError`."""
    try:
        columns = check_names(columns, "data column", at_most=MAX_COLUMNS, at_least=1)
    except ExpressionError as e:
        raise DataError(source, e.message) from None
    if len(rows) > MAX_ROWS:
        raise DataError(source, f"{len(rows):,} rows; at most {MAX_ROWS:,} are allowed")
    out = np.empty((len(rows), len(columns)))
    for i, row in enumerate(rows):
        if not isinstance(row, (list, tuple)) or len(row) != len(columns):
            got = len(row) if isinstance(row, (list, tuple)) else type(row).__name__
            raise DataError(source, f"must have {len(columns)} numbers ({', '.join(columns)}), got {got}", row=i + 1)
        for j, v in enumerate(row):
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise DataError(source, f"must be a number, not {v!r}", row=i + 1, column=columns[j])
            if not math.isfinite(v) or abs(v) > 1e150:
                raise DataError(source, f"must be a finite number of reasonable size, not {v!r}", row=i + 1,
                                column=columns[j])
            out[i, j] = v
    return Dataset(columns, out)


def parse_csv(text: str, source: object = "<csv>") -> Dataset:
    """A header row of column names, then rows of numbers (comma-separated; blank lines ignored)."""
    if len(text) > MAX_CSV_BYTES:
        raise DataError(source, f"the file is larger than {MAX_CSV_BYTES // 1_000_000} MB")
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not lines:
        raise DataError(source, "the file is empty: a header row of column names is needed")
    reader = csv.reader([line for _, line in lines], skipinitialspace=True)
    try:
        header_n, _ = lines[0]
        header = [h.strip() for h in next(reader)]
        try:
            columns = check_names(header, "data column", at_most=MAX_COLUMNS, at_least=1)
        except ExpressionError as e:
            raise DataError(source, f"header: {e.message}", row=header_n) from None
        if len(lines) - 1 > MAX_ROWS:
            raise DataError(source, f"{len(lines) - 1:,} rows; at most {MAX_ROWS:,} are allowed")
        out = np.empty((len(lines) - 1, len(columns)))
        for i, cells in enumerate(reader):
            n = lines[i + 1][0]
            if len(cells) != len(columns):
                raise DataError(source, f"has {len(cells)} values, the header has {len(columns)}", row=n)
            for j, cell in enumerate(cells):
                cell = cell.strip()
                try:
                    v = float(cell)
                except ValueError:
                    raise DataError(source, f"{cell!r} is not a number", row=n, column=columns[j]) from None
                if not math.isfinite(v) or abs(v) > 1e150:
                    raise DataError(source, f"{cell!r} is not a finite number of reasonable size", row=n,
                                    column=columns[j])
                out[i, j] = v
    except csv.Error as e:
        raise DataError(source, f"not a valid CSV file ({e})") from None
    return Dataset(columns, out)


def read_csv(path: str | Path) -> Dataset:
    path = Path(path)
    try:
        if path.stat().st_size > MAX_CSV_BYTES:
            raise DataError(path, f"the file is larger than {MAX_CSV_BYTES // 1_000_000} MB")
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(path, "not a text file (expected UTF-8 CSV)") from None
    except OSError as e:
        raise DataError(path, f"cannot be read ({e.strerror or e})") from None
    return parse_csv(text, path)
