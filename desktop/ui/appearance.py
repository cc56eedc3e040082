"""The appearance preference: light, dark or the system's colour scheme (Settings > Appearance).

Kept in the user's preferences (desktop/config.py), not in a workspace: it belongs to the person,
not to the figures. ``apply`` sets the Qt palette (desktop.app.apply_palette); every chart
follows the palette change on its own (ChartWidget.changeEvent)."""

from __future__ import annotations

from desktop import config

MODES = ("system", "light", "dark")
LABELS = {"system": "Same as the system", "light": "Light", "dark": "Dark"}


def current_mode() -> str:
    mode = config.load_preferences().get("appearance", "system")
    return mode if mode in MODES else "system"


def apply(app, mode: str | None = None) -> bool:
    """Apply ``mode`` (default: the saved one) to the application; returns True for dark."""
    from desktop.app import apply_palette

    mode = current_mode() if mode is None else mode
    return apply_palette(app, None if mode == "system" else mode == "dark")


def set_mode(app, mode: str) -> bool:
    """Save ``mode`` as the preference and apply it; returns True for dark."""
    if mode not in MODES:
        raise ValueError(f"appearance is one of {', '.join(MODES)}, not {mode!r}")
    prefs = config.load_preferences()
    prefs["appearance"] = mode
    config.save_preferences(prefs)
    return apply(app, mode)


def follow_system(app) -> None:
    """The system's colour scheme changed: follow it when the preference says so."""
    if current_mode() == "system":
        apply(app, "system")
