"""Importing a warehouse URL into a workspace: the rollup (usage) or the lines (invoices) read
where they live (desktop/ingest/warehouse.py), stored as one import batch whose file name and
source are the URL without credentials and whose report carries the query text sent. The same
rules as a file: the overlap answer (refuse / replace / keep), a re-import of the same result
is a duplicate, and the import rules may refuse it."""

from __future__ import annotations

from desktop.domain import validation
from desktop.domain.progress import Progress
from desktop.domain.results import ImportReport
from desktop.ingest import warehouse
from desktop.store.batches import overlap_refusal
from desktop.store.errors import DuplicateImport


def import_url(ws, url: str, kind: str | None = None, *, replace: bool = False, on_overlap: str = "keep",
               refuse_rejected: bool = False, password: str | None = None,
               progress: Progress | None = None) -> ImportReport:
    """Read ``url`` (usage unless ``kind`` == "invoices") and store it in workspace ``ws``."""
    kind = kind or "usage"
    if kind not in ("usage", "invoices"):
        raise warehouse.WarehouseError(f"{warehouse.parse_url(url).display}: only usage and invoices are read "
                                       "from a warehouse")
    if progress is not None:
        progress.step(0.05, "sending the query")
    reader = warehouse.read_usage if kind == "usage" else warehouse.read_invoices
    read = reader(url, settings=ws.settings(), password=password)
    if progress is not None:
        progress.step(0.7, f"{read.rows_received:,} rows received")
    result = read.result
    digest = read.content_hash
    known = {b.content_hash: b for b in ws.batches()}
    if digest in known and not replace:
        old = known[digest]
        raise DuplicateImport(f"{read.source} gave the same rows as batch {old.id} ({old.file_name}, imported "
                              f"{old.imported_at}); nothing was imported (choose replace to import it again)",
                              path=str(ws.path))
    found = ws.overlaps(result, except_hash=digest)
    supersede: tuple[int, ...] = ()
    if found and on_overlap == "refuse":
        refused = validation.import_refusal(result.report, strict=refuse_rejected)
        if refused is not None:
            raise refused
        raise overlap_refusal(read.source, found, ws.path)
    if found and on_overlap == "replace":
        supersede = tuple(dict.fromkeys(o.batch_id for o in found))
    return ws.store_result(ws.with_import_notes(result), read.source, content_hash=digest, file_size=0,
                           replace=replace, strict=refuse_rejected, supersede=supersede, name=read.source)
