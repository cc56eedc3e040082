"""Errors of the importers."""

from __future__ import annotations

from desktop.domain.errors import InputError


class UnreadableFile(InputError):
    """The file cannot be read at all: not a table, unknown format, a required column missing,
    or refused by a safety limit. (Problems in single rows are ImportIssues, not this.)"""
