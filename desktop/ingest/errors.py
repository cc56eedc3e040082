"""Errors of the importers."""

from __future__ import annotations

from desktop.domain.errors import InputError


class UnreadableFile(InputError):
    """The file cannot be read at all: not a table, unknown format, a required column missing,
    or refused by a safety limit. (Problems in single rows are ImportIssues, not this.)

    ``in_app``: the same problem said in the app's own terms (what to do in the import wizard),
    when the message itself speaks of the command line; None: the message serves both."""

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 column: str | None = None, in_app: str | None = None):
        super().__init__(message, file=file, row=row, column=column)
        self.in_app = in_app


class VendorNeeded(UnreadableFile):
    """A commitments file names no vendor for some commitments (the FOCUS 1.3 Contract Commitment
    dataset has no provider column): the caller finds it in the usage whose ContractApplied names
    the commitment, or asks (CLI ``--vendor``)."""

    def __init__(self, message: str, *, file: str | None = None, contract_ids: tuple[str, ...] = (),
                 in_app: str | None = None):
        super().__init__(message, file=file, in_app=in_app)
        self.contract_ids = contract_ids
