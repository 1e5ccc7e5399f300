"""The issue log: what happened to every input row.

Each input (``parcels``, ``enterprises``, ...) gets an :class:`InputRecord`
that counts data rows read, used, rejected and skipped, and keeps the reason
for every rejection and every repair. ``rows_read == rows_used +
rows_rejected`` holds by construction: loaders set ``rows_read`` and every
later stage that drops a row must call :meth:`InputRecord.reject`.

Examples
--------
>>> log = QualityLog()
>>> rec = log.input("parcels")
>>> rec.rows_read = 3
>>> rec.reject("a.shp", [2], "几何为空 / empty geometry")
>>> rec.rows_used, rec.rows_rejected
(2, 1)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


def _scalar(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def _broadcast(value: Any, n: int) -> list[Any]:
    if isinstance(value, str) or value is None or np.isscalar(value):
        return [_scalar(value)] * n
    values = [_scalar(v) for v in value]
    if len(values) != n:
        raise ValueError(f"expected {n} values, got {len(values)}")
    return values


@dataclass
class InputRecord:
    """Accounting for one named input (possibly several files)."""

    name: str
    files: list[str] = field(default_factory=list)
    encoding: str | None = None
    crs: str | None = None
    rows_read: int = 0
    rows_skipped: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    repairs: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def rows_rejected(self) -> int:
        return len(self.rejected)

    @property
    def rows_used(self) -> int:
        return self.rows_read - self.rows_rejected

    def reject(
        self,
        file: str | Sequence[str],
        rows: Iterable[int],
        reason: str | Sequence[str],
        column: str | Sequence[str | None] | None = None,
        **extra: Any,
    ) -> None:
        """Record rejected data rows (vectorised: ``rows`` may be an array).

        Parameters
        ----------
        file : str or sequence of str
            The file of every row, or one per row.
        rows : iterable of int
            Row numbers as the user sees them (1-based).
        reason : str or sequence of str
            Why, for every row or one per row.
        column : str or sequence, optional
            The column at fault, for every row or one per row.
        **extra
            More fields of each record, each a scalar for every row or one
            value per row: a duplicate's ``kept_file`` and ``kept_row`` (the
            row that was kept in its place).

        Example
        -------
        >>> rec = InputRecord("parcels")
        >>> rec.reject(["b.shp"], [5], "重复 / duplicate", "parcel_id",
        ...            kept_file=["a.shp"], kept_row=[1])
        >>> rec.rejected[0]["kept_file"], rec.rejected[0]["kept_row"]
        ('a.shp', 1)
        """
        rows = [int(r) for r in rows]
        n = len(rows)
        more = {k: _broadcast(v, n) for k, v in extra.items()}
        for i, (f, r, c, why) in enumerate(
            zip(
                _broadcast(file, n), rows, _broadcast(column, n), _broadcast(reason, n), strict=True
            )
        ):
            record = {"file": f, "row": r, "column": c, "reason": why}
            self.rejected.append(record | {k: v[i] for k, v in more.items()})

    def repair(
        self,
        file: str | Sequence[str],
        rows: Iterable[int],
        what: str | Sequence[str],
        column: str | Sequence[str | None] | None = None,
    ) -> None:
        """Record rows kept after a repair (invalid ring fixed, unit converted, ...)."""
        rows = [int(r) for r in rows]
        n = len(rows)
        for f, r, c, w in zip(
            _broadcast(file, n), rows, _broadcast(column, n), _broadcast(what, n), strict=True
        ):
            self.repairs.append({"file": f, "row": r, "column": c, "repair": w})

    def skip(self, file: str, rows: Iterable[int], reason: str) -> None:
        """Record non-data rows (title, header, blank, totals) that were passed over."""
        for r in rows:
            self.skipped.append({"file": file, "row": int(r), "reason": reason})
            self.rows_skipped += 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": list(self.files),
            "encoding": self.encoding,
            "crs": self.crs,
            "rows_read": self.rows_read,
            "rows_used": self.rows_used,
            "rows_rejected": self.rows_rejected,
            "rows_skipped": self.rows_skipped,
            "rejected": self.rejected,
            "repairs": self.repairs,
            "skipped": self.skipped,
            "notes": self.notes,
        }


@dataclass
class QualityLog:
    """All data-quality facts of one run; serialises to ``quality.json``."""

    inputs: dict[str, InputRecord] = field(default_factory=dict)
    matches: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def input(self, name: str) -> InputRecord:
        """The record of input ``name``, created on first use."""
        if name not in self.inputs:
            self.inputs[name] = InputRecord(name)
        return self.inputs[name]

    def warn(self, message: str, **context: Any) -> None:
        """Record a warning a user should read (never silently drop data)."""
        self.warnings.append({"message": message, **{k: _scalar(v) for k, v in context.items()}})

    def add_matches(self, records: Iterable[dict[str, Any]]) -> None:
        self.matches.extend({k: _scalar(v) for k, v in r.items()} for r in records)

    def to_dict(self) -> dict[str, Any]:
        return {
            "inputs": {k: v.to_dict() for k, v in self.inputs.items()},
            "matches": self.matches,
            "warnings": self.warnings,
        }

    def write_json(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps(self.to_dict(), ensure_ascii=False, indent=2, default=str), encoding="utf-8"
        )
        return path

    def issues_for(self, input_name: str, file: str, row: int) -> list[str]:
        """Every rejection/repair note that concerns one source row (for parcel files)."""
        rec = self.inputs.get(input_name)
        if rec is None:
            return []
        out = [r["repair"] for r in rec.repairs if r["file"] == file and r["row"] == row]
        out += [
            w["message"] for w in self.warnings if w.get("file") == file and w.get("row") == row
        ]
        return out
