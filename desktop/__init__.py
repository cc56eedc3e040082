"""CommitDesk: AI-vendor commitment analytics on the analyst's own machine."""

__version__ = "0.1.0"
