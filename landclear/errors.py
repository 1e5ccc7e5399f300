"""Exceptions raised by landclear.

Every error that reaches a user names what went wrong and, where it applies,
the file, row and column, so that it can be fixed in the source data.
"""

from __future__ import annotations

from pathlib import Path


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

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


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
