"""Errors that name the place in the analyst's files where the problem is."""

from __future__ import annotations


class InputError(ValueError):
    """Bad input that stops an analysis: names file, row (1-based, as the analyst sees it) and column.

    The CLI prints ``str(err)`` and exits with status 2; the GUI shows it in a message box.
    """

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 column: str | None = None):
        self.file = file
        self.row = row
        self.column = column
        self.message = message
        where = []
        if file:
            where.append(str(file))
        if row is not None:
            where.append(f"row {row}")
        if column:
            where.append(f"column {column!r}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)
