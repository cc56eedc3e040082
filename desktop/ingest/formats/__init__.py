"""One module per source format (see formats/base.py for the protocol)."""
