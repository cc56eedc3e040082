"""Render every application icon from the one source SVG.

    python packaging/make_icons.py [--svg resources/commitdesk.svg] [--out resources/icons]

Writes commitdesk-<N>.png (16..1024), commitdesk.ico (PNG-compressed entries 16..256, the
Windows Vista+ layout) and commitdesk.icns (PNG-compressed entries icp4..ic10). Rendering uses
QtSvg, which ships with PySide6-Essentials, so no other tool is needed; the ICO and ICNS
containers are written here with struct (both are a small header plus a table of PNG blobs).
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512, 1024)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# ICNS element types holding PNG data, by pixel size
ICNS_TYPES = ((b"icp4", 16), (b"icp5", 32), (b"icp6", 64), (b"ic07", 128), (b"ic08", 256),
              (b"ic09", 512), (b"ic10", 1024))


def render_pngs(svg: Path, sizes=PNG_SIZES) -> dict[int, bytes]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])  # noqa: F841 (keeps Qt alive)
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"not a valid SVG: {svg}")
    out: dict[int, bytes] = {}
    for n in sizes:
        img = QImage(n, n, QImage.Format.Format_ARGB32)
        img.fill(Qt.GlobalColor.transparent)
        p = QPainter(img)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(p)
        p.end()
        ba = QByteArray()
        buf = QBuffer(ba)
        buf.open(QIODevice.OpenModeFlag.WriteOnly)
        img.save(buf, "PNG")
        buf.close()
        out[n] = bytes(ba.data())
    return out


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """ICONDIR + ICONDIRENTRY[] + PNG images (width/height 0 means 256)."""
    sizes = [s for s in ICO_SIZES if s in pngs]
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = 6 + 16 * len(sizes)
    entries, blobs = b"", b""
    for s in sizes:
        data = pngs[s]
        dim = 0 if s >= 256 else s
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
        blobs += data
    return header + entries + blobs


def icns_bytes(pngs: dict[int, bytes]) -> bytes:
    """'icns' + total length, then (type, length incl. 8-byte header, PNG) elements, big-endian."""
    body = b""
    for kind, s in ICNS_TYPES:
        if s in pngs:
            body += kind + struct.pack(">I", len(pngs[s]) + 8) + pngs[s]
    return b"icns" + struct.pack(">I", len(body) + 8) + body


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--svg", type=Path, default=ROOT / "resources" / "commitdesk.svg")
    ap.add_argument("--out", type=Path, default=ROOT / "resources" / "icons")
    args = ap.parse_args(argv)
    pngs = render_pngs(args.svg)
    args.out.mkdir(parents=True, exist_ok=True)
    for s, data in pngs.items():
        (args.out / f"commitdesk-{s}.png").write_bytes(data)
    (args.out / "commitdesk.ico").write_bytes(ico_bytes(pngs))
    (args.out / "commitdesk.icns").write_bytes(icns_bytes(pngs))
    print(f"wrote {len(pngs)} PNGs, commitdesk.ico, commitdesk.icns to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
