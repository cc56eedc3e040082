"""Untrusted workbooks are parsed in a child process (docs/formats.md "Safety").

python-calamine is native code: a crafted workbook that slips past the safety scan can make it
allocate hundreds of GB and abort the whole process (SIGABRT, no Python exception), taking the
app and its unsaved state with it. ``read_xlsx_isolated`` runs ``reader.read_xlsx`` in a child
started from a forkserver (a clean process, preloaded with the reader, never a fork of the
GUI's threads), with an address-space limit (RLIMIT_AS), a CPU-time limit (RLIMIT_CPU) and a
file-size limit (RLIMIT_FSIZE). A plain sheet read by fastexcel comes back as an Arrow IPC file
the child writes into a private file in shared memory (/dev/shm) and this process maps without
a copy (data only: nothing of it is unpickled; ``reader.read_arrow_sheet`` validates every
buffer first); a sheet read cell by cell comes back pickled through the pipe. Either is looked
at only after the safety scan has passed. The child dying, or running out of its limits, becomes
``UnsafeFile("this workbook is damaged or hostile: ...")``; the parent keeps running. Progress
keeps coming every 0.1 s while the child works, and a cancel kills the child at once.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import pickle
import signal
import tempfile
import threading
from pathlib import Path

from desktop.ingest.errors import UnreadableFile
from desktop.ingest.safety import DEFAULT_LIMITS, Limits, UnsafeFile, XlsxFacts

_CTX_LOCK = threading.Lock()
_CTX = None


def _context():
    """The forkserver context (started once per process, the reader preloaded in the server)."""
    global _CTX
    with _CTX_LOCK:
        if _CTX is None:
            method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
            ctx = mp.get_context(method)
            if method == "forkserver":
                ctx.set_forkserver_preload(["desktop.ingest.reader"])
            _CTX = ctx
        return _CTX


def _vm_size() -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _child(conn, path: str, facts: XlsxFacts, known: set[str], sheet: str | None,
           row_limit: int | None, memory: int, cpu: int, out: str | None = None, arrow: bool = True) -> None:
    import resource

    from desktop.ingest import reader

    try:
        limit = _vm_size() + memory
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
        resource.setrlimit(resource.RLIMIT_FSIZE, (memory, memory))  # the answer file
    except (ValueError, OSError):  # pragma: no cover - a platform without these limits
        pass
    class Relay(reader.Ticker):
        """Every progress step goes to the parent (which spaces and shows them)."""

        def __call__(self, fraction: float, text: str = "", force: bool = False) -> None:
            conn.send_bytes(b"P" + pickle.dumps((fraction, text)))

    try:
        got = None
        if out is not None and arrow and row_limit is None:
            got = reader.sheet_arrow(Path(path), known, Relay(None), sheet)
        if got is not None:
            reader.write_arrow_sheet(got, out)
            payload = pickle.dumps(("arrow", None))
        else:
            read = reader.read_xlsx if out is None and arrow else reader.read_xlsx_cells
            table = read(Path(path), facts, known, Relay(None), sheet=sheet, row_limit=row_limit)
            payload = pickle.dumps(("ok", table), protocol=5)
    except UnreadableFile as exc:
        payload = pickle.dumps(("unsafe" if isinstance(exc, UnsafeFile) else "unreadable", exc.message))
    except MemoryError:
        payload = pickle.dumps(("hostile", "it needs more memory than the reader is allowed"))
    except Exception as exc:  # calamine's errors: damaged parts, bad XML
        payload = pickle.dumps(("error", f"{type(exc).__name__}: {exc}"))
    conn.send_bytes(b"R" + payload)
    conn.close()


def _answer_file() -> str | None:
    """A new private file (0600) for the child's Arrow answer: in /dev/shm (memory, no disk)
    when there is one, else the temporary folder; None when neither can be made (the answer
    then comes pickled through the pipe)."""
    shm = "/dev/shm"
    for folder in ((shm,) if os.path.isdir(shm) and os.access(shm, os.W_OK) else ()) + (None,):
        try:
            fd, name = tempfile.mkstemp(prefix="commitdesk-xlsx-", suffix=".arrow", dir=folder)
        except OSError:
            continue
        os.close(fd)
        return name
    return None


def _death(exitcode: int | None) -> str:
    if exitcode is None:
        return "the reader did not finish"
    if exitcode < 0:
        sig = -exitcode
        why = {signal.SIGABRT: "it asked for more memory than the reader is allowed",
               signal.SIGKILL: "it was stopped (out of memory or time)",
               signal.SIGSEGV: "the reader crashed on it",
               signal.SIGXCPU: "reading it used more CPU time than the reader is allowed",
               signal.SIGXFSZ: "its answer grew past the size the reader is allowed"}.get(sig)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        return f"{why or 'the reader was stopped'} (the reading process ended with {name})"
    return f"the reading process ended unexpectedly (exit code {exitcode})"


def read_xlsx_isolated(path: Path, scan, known: set[str], ticker, sheet: str | None = None,
                       row_limit: int | None = None, limits: Limits = DEFAULT_LIMITS):
    """``reader.read_xlsx`` in a child process with memory and CPU limits (see the module).

    ``scan()`` is the safety scan (``safety.check_xlsx``): it runs here, in this process, while
    the child parses, and its verdict is final: when it refuses, the child is killed and its
    work dropped; nothing the child read is used before the scan has passed. (The scan and
    calamine's parse each take about a second on a 100k-row sheet; on two cores they overlap.)
    Returns (RawTable, XlsxFacts)."""
    from desktop.ingest import reader

    name = Path(path).name
    out = _answer_file() if row_limit is None and reader.ARROW_XLSX else None
    try:
        return _run(path, name, scan, known, ticker, sheet, row_limit, limits, out)
    finally:
        if out is not None:
            try:
                os.unlink(out)  # a mapping made of it stays readable; the memory goes with it
            except OSError:
                pass


def _run(path, name: str, scan, known, ticker, sheet, row_limit, limits: Limits, out: str | None):
    from desktop.ingest import reader

    ctx = _context()
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, name="commitdesk-xlsx",
                       args=(send, str(path), XlsxFacts(), known, sheet, row_limit,
                             limits.xlsx_child_memory_bytes, limits.xlsx_child_cpu_seconds, out,
                             reader.ARROW_XLSX),
                       daemon=True)
    proc.start()
    send.close()
    payload = None
    try:
        facts = scan()  # the verdict comes first: a refusal kills the child (finally below)
        while True:
            if recv.poll(0.1):
                try:
                    payload = recv.recv_bytes()
                except (EOFError, OSError):
                    payload = None
                    break
                if payload[:1] == b"P":
                    fraction, text = pickle.loads(payload[1:])
                    payload = None
                    ticker(fraction, text)
                    continue
                break
            if not proc.is_alive():
                if recv.poll(0):
                    continue
                break
            ticker(0.2, "reading the workbook", force=True)
            ticker.check()  # a cancel: the finally below kills the child
        proc.join(5)
    finally:
        if proc.is_alive():
            proc.kill()
            proc.join()
        recv.close()
    if payload is None:
        raise UnsafeFile(f"this workbook is damaged or hostile: {_death(proc.exitcode)}", file=name)
    status, value = pickle.loads(payload[1:])
    if status == "arrow" and out is not None:
        try:
            got = reader.read_arrow_sheet(out)
        except Exception as exc:  # whatever a damaged answer makes pyarrow or json raise
            raise UnsafeFile(f"this workbook is damaged or hostile: the reading process answered "
                             f"with damaged data ({type(exc).__name__})", file=name) from exc
        table = reader.raw_from_arrow(got, name, facts)
        ticker(0.4, "reading rows")
        return table, facts
    if status == "ok":
        value.date1904 = facts.date1904
        return value, facts
    if status == "unsafe":
        raise UnsafeFile(value, file=name)
    if status == "unreadable":
        raise UnreadableFile(value, file=name)
    if status == "hostile":
        raise UnsafeFile(f"this workbook is damaged or hostile: {value}", file=name)
    raise UnreadableFile(f"the workbook cannot be read: {translate(value)}", file=name)


def translate(detail: str) -> str:
    """calamine's and the zip reader's messages in the analyst's words (no reader internals such
    as "I/O error: File is larger than its declared uncompressed size" or "at 0..0:
    unrecognized entity")."""
    low = detail.casefold()
    if "declared" in low or "zip" in low or "i/o error" in low or "crc" in low or "deflate" in low:
        return ("a part of the workbook is damaged (its compressed data does not match what the "
                "file says about it); open it in Excel and save a copy, or export the sheet as CSV")
    if "entity" in low or "xml" in low or "unexpected" in low or "tag" in low or "attribute" in low:
        return ("a sheet's XML is malformed (markup Excel never writes); open it in Excel and save a "
                "copy, or export the sheet as CSV")
    if "sheet" in low and ("not found" in low or "no such" in low):
        return "the sheet named in the mapping profile is not in this workbook"
    if "password" in low or "encrypt" in low:
        return "the workbook is protected with a password"
    return ("its structure is damaged or of a kind the reader does not know; open it in Excel and "
            "save a copy, or export the sheet as CSV")
