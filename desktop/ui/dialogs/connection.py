"""File > Connect to warehouse...: import the usage (or invoices) of a warehouse table into the
open workspace. Only the rollup comes back (desktop/ingest/warehouse.py, docs/scale.md); the
workspace records the URL without the password and the query sent, shown here after the import.
A password is kept in the OS keyring (``keyring``), never in the workspace or a log. The read
and the store run in a worker (desktop/ui/workers.TaskRunner); the dialog only composes."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.ingest import warehouse
from desktop.ui.workers import TaskRunner

ENGINES = (("duckdb", "DuckDB file"), ("postgresql", "PostgreSQL"), ("spark", "Spark"),
           ("databricks", "Databricks SQL"), ("snowflake", "Snowflake"), ("bigquery", "BigQuery"),
           ("trino", "Trino"), ("athena", "Athena"))
OVERLAP = (("refuse", "Refuse it and say what overlaps"), ("replace", "Replace the earlier import"),
           ("keep", "Keep both"))


class ConnectionDialog(QDialog):
    """Fields -> URL (shown as it will be recorded) -> read and store in a worker."""

    imported = Signal(list)  # [ImportReport]

    def __init__(self, session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("Connect to warehouse")
        self.setMinimumWidth(640)
        self.engine = QComboBox()
        for key, label in ENGINES:
            self.engine.addItem(label, key)
        self.host = QLineEdit()
        self.port = QSpinBox()
        self.port.setRange(0, 65535)
        self.port.setSpecialValueText("default")
        self.database = QLineEdit()
        self.browse = QPushButton("Choose…")
        self.browse.clicked.connect(self._choose_file)
        db_row = QHBoxLayout()
        db_row.addWidget(self.database, 1)
        db_row.addWidget(self.browse)
        self.user = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.remember = QCheckBox("Remember the password in this computer's keyring")
        self.remember.setChecked(True)
        self.table = QLineEdit()
        self.table.setPlaceholderText("usage, schema.usage or catalog.schema.usage")
        self.kind = QComboBox()
        self.kind.addItem("Usage (rolled up where it lives)", "usage")
        self.kind.addItem("Invoice lines", "invoices")
        self.overlap = QComboBox()
        for key, label in OVERLAP:
            self.overlap.addItem(label, key)
        self.url = QLineEdit()
        self.url.setReadOnly(True)
        self.query = QPlainTextEdit()
        self.query.setReadOnly(True)
        self.query.setPlaceholderText("The query sent appears here after the import; only its result comes back.")
        self.status = QLabel("")
        self.status.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Engine", self.engine)
        self.host_label = QLabel("Host")
        form.addRow(self.host_label, self.host)
        self.port_label = QLabel("Port")
        form.addRow(self.port_label, self.port)
        self.db_label = QLabel("Database")
        form.addRow(self.db_label, db_row)
        self.user_label = QLabel("User")
        form.addRow(self.user_label, self.user)
        form.addRow("Password", self.password)
        form.addRow("", self.remember)
        form.addRow("Table", self.table)
        form.addRow("Import as", self.kind)
        form.addRow("If it overlaps", self.overlap)
        form.addRow("URL recorded", self.url)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.go = self.buttons.addButton("Connect and import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.rejected.connect(self.reject)
        self.go.clicked.connect(self.start)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(QLabel("Query sent"))
        lay.addWidget(self.query, 1)
        lay.addWidget(self.status)
        lay.addWidget(self.buttons)

        self.runner = TaskRunner("warehouse-import", self)
        self.runner.finished.connect(self._done)
        self.runner.failed.connect(self._failed)
        self.runner.progress.connect(lambda _f, text: self.status.setText(text))
        for w in (self.host, self.database, self.user, self.table):
            w.textChanged.connect(self._refresh)
        self.port.valueChanged.connect(self._refresh)
        self.engine.currentIndexChanged.connect(self._engine_changed)
        self._engine_changed()

    # --- composing the URL -----------------------------------------------------------------
    def scheme(self) -> str:
        return self.engine.currentData()

    def _engine_changed(self) -> None:
        host, port, db, user = warehouse.FIELDS[self.scheme()]
        self.host_label.setText(host or "Host")
        self.host.setEnabled(host is not None)
        self.port.setEnabled(port is not None)
        if port is not None and self.port.value() == 0:
            self.port.setValue(port)
        elif port is None:
            self.port.setValue(0)
        self.db_label.setText(db or "Database")
        self.database.setEnabled(db is not None)
        self.browse.setVisible(self.scheme() == "duckdb")
        self.user.setEnabled(user)
        self.password.setEnabled(self.scheme() not in ("duckdb", "spark"))
        self._refresh()

    def url_text(self) -> str:
        return warehouse.make_url(self.scheme(), table=self.table.text(), host=self.host.text(),
                                  port=self.port.value() or None, database=self.database.text(),
                                  user=self.user.text())

    def _refresh(self) -> None:
        try:
            self.url.setText(self.url_text())
            self.go.setEnabled(not self.runner.busy)
            self.status.setText("")
        except warehouse.WarehouseError as exc:
            self.url.setText("")
            self.go.setEnabled(False)
            self.status.setText(str(exc))

    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "DuckDB database", "", "DuckDB (*.duckdb *.db);;All files (*)")
        if path:
            self.database.setText(path)

    # --- reading and storing (worker) -------------------------------------------------------
    def start(self) -> None:
        from desktop.store.warehouse_import import import_url

        url = self.url_text()
        password = self.password.text() or None
        remember = self.remember.isChecked() and password is not None
        kind, overlap = self.kind.currentData(), self.overlap.currentData()
        ws = self.session.workspace

        def job(progress):
            if remember:
                warehouse.store_password(warehouse.parse_url(url), password)
            return import_url(ws, url, kind, on_overlap=overlap, password=password, progress=progress)

        self.go.setEnabled(False)
        self.status.setText(f"Sending the query to {warehouse.parse_url(url).engine}…")
        self.runner.start(job, label=f"Importing {url}")

    def _done(self, report) -> None:
        self.query.setPlainText(report.query or "")
        self.status.setText(f"Imported {report.rows_imported:,} of {report.rows_read:,} source rows "
                            f"({report.rows_rejected:,} rejected) from {report.file}.")
        self.password.clear()  # kept in the keyring (when asked), not in the dialog
        self.go.setEnabled(True)
        self.imported.emit([report])

    def _failed(self, error) -> None:
        self.status.setText(str(error))
        self.go.setEnabled(True)
