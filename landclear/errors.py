"""Exceptions raised by landclear.

Every error that reaches a user names what went wrong and, where it applies,
the file, row and column, so that it can be fixed in the source data.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any


class LandclearError(Exception):
    """Base class of every error landclear raises on purpose.

    Parameters
    ----------
    message : str
        What went wrong, in words a user can act on.
    file, row, column : optional
        Where it went wrong. ``row`` is 1-based as a spreadsheet shows it.

    Examples
    --------
    >>> str(LandclearError("缺少列", file="a.xlsx", column="credit_code"))
    'a.xlsx, column credit_code: 缺少列'
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.row = row
        self.column = column
        super().__init__(self.__str__())

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only arguments: rebuild from the parts, so that an error raised in
        # a worker process arrives whole (file, row, column) in the parent.
        return (_rebuild, (type(self), self.message, self.file, self.row, self.column))

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}" if where else self.message

    @property
    def _render_traceback_(self) -> Callable[[], list[str]]:
        """What IPython/Jupyter shows for an uncaught landclear error: one line.

        A deliberate error is about the data or the project file, so the
        analyst sees what to fix (file, row, column, reason), not the pandas
        frames it was raised from. With ``LANDCLEAR_DEBUG=1`` the attribute is
        absent and IPython prints the full traceback, as ``--debug`` does on
        the command line; ``traceback.print_last()`` shows it after the fact.
        """
        if os.environ.get("LANDCLEAR_DEBUG", "").strip() not in ("", "0"):
            raise AttributeError("_render_traceback_")
        return self._one_line

    def _one_line(self) -> list[str]:
        kind = next(
            (_KINDS[c.__name__] for c in type(self).__mro__ if c.__name__ in _KINDS), "错误"
        )
        return [f"\x1b[1;31m{kind} {type(self).__name__}\x1b[0m: {self}"]


#: Chinese name of each error class, shown before the message in Jupyter.
_KINDS = {
    "ProjectError": "项目文件错误",
    "MissingColumnError": "缺少列",
    "CRSError": "坐标系错误",
    "InputFileError": "输入文件错误",
    "DataError": "数据错误",
    "FontError": "缺少中文字体",
    "SelectorError": "筛选条件错误",
    "LandclearError": "错误",
}


def _rebuild(
    cls: type[LandclearError], message: str, file: str | None, row: int | None, column: str | None
) -> LandclearError:
    return cls(message, file=file, row=row, column=column)


class ProjectError(LandclearError):
    """The project file is malformed: unknown key, bad value, missing input."""


class InputFileError(LandclearError):
    """An input file cannot be read: missing, unreadable, wrong format or encoding."""


class MissingColumnError(InputFileError):
    """A required column is absent after header mapping."""


class CRSError(InputFileError):
    """A vector or raster input has no usable coordinate reference system."""


class DataError(LandclearError):
    """Input values are unusable as a whole (e.g. every row rejected)."""


class FontError(LandclearError):
    """No font that renders Simplified Chinese could be found."""
