"""Errors of the importers."""

from __future__ import annotations

from desktop.domain.errors import InputError


class UnreadableFile(InputError):
    """The file cannot be read at all: not a table, unknown format, a required column missing,
    or refused by a safety limit. (Problems in single rows are ImportIssues, not this.)"""


class VendorNeeded(UnreadableFile):
    """A commitments file names no vendor for some commitments (the FOCUS 1.3 Contract Commitment
    dataset has no provider column): the caller finds it in the usage whose ContractApplied names
    the commitment, or asks (CLI ``--vendor``)."""

    def __init__(self, message: str, *, file: str | None = None, contract_ids: tuple[str, ...] = ()):
        super().__init__(message, file=file)
        self.contract_ids = contract_ids
