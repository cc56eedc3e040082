"""How the brief spells codes (bands, outcomes, severities, stake kinds ...): the labels of
desktop.domain.vocabulary, so no snake_case reaches a reader and every sheet reads the same."""

from __future__ import annotations

from desktop.domain import vocabulary


def label(code: str | None) -> str | None:
    """'shortfall_risk' -> 'Shortfall risk'; None stays None (an empty cell)."""
    return None if code is None else vocabulary.label(code)


def colours(by_code: dict[str, str]) -> dict[str, str]:
    """A code -> colour map as label -> colour, for conditional formats on labelled cells."""
    return {vocabulary.label(k): v for k, v in by_code.items() if k != "none"}


def pace(result) -> str:
    """A contract or period: its outcome once its term has ended, else its band's label."""
    text = getattr(result, "outcome_text", None)
    if text:
        return text[:1].upper() + text[1:]
    return vocabulary.band_label(getattr(result, "band", None))
