"""The import wizard, in parts: ``files`` (the file list with stable ids, no Qt), ``preview``
(what was detected, the rows to import, the rejected rows), ``mapping`` (the column-mapping
editor) and ``controller`` (the dialog that wires them to the background reads and the import)."""

from desktop.ui.dialogs.import_wizard.controller import ImportWizard
from desktop.ui.dialogs.import_wizard.files import FileList, FileState, peek_columns
from desktop.ui.dialogs.import_wizard.mapping import UNMAPPED
from desktop.ui.dialogs.import_wizard.preview import PREVIEW_ROWS

__all__ = ["PREVIEW_ROWS", "UNMAPPED", "FileList", "FileState", "ImportWizard", "peek_columns"]
