"""XLSX files built byte by byte for the import-limit tests: the zip bomb of issue 10, a
sparse sheet whose dense grid is astronomically big, members that lie about their size.

The bomb is written without compressing its 462 MB: one block of 10,000 identical rows is
deflated once and its compressed bytes repeated (each copy ends with a full flush, so none
refers to another), which builds the 1.8 MB file in about a second.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Hoja1" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
              '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              '<sheetData>')
SHEET_TAIL = "</sheetData></worksheet>"


def _inline(*values: str) -> str:
    return "<row>" + "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in values) + \
        "</row>"


def _deflated(data: bytes, *, final: bool) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush(zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH)


def write_zip(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip from ``(name, deflated bytes, crc32, uncompressed size)``, all deflated."""
    out, central = bytearray(), bytearray()
    for name, payload, crc, size in members:
        offset = len(out)
        raw = name.encode()
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(payload),
                           size, len(raw), 0) + raw + payload
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc,
                               len(payload), size, len(raw), 0, 0, 0, 0, 0, offset) + raw
    start = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central),
                       start, 0)
    return bytes(out)


def _small(name: str, text: str) -> tuple[str, bytes, int, int]:
    data = text.encode()
    return name, _deflated(data, final=True), zlib.crc32(data), len(data)


def workbook(sheet_member: tuple[str, bytes, int, int]) -> bytes:
    return write_zip([_small("[Content_Types].xml", CONTENT_TYPES), _small("_rels/.rels", RELS),
                      _small("xl/workbook.xml", WORKBOOK),
                      _small("xl/_rels/workbook.xml.rels", WORKBOOK_RELS), sheet_member])


def bomb(rows: int = 3_000_000, block_rows: int = 10_000) -> bytes:
    """The attack of issue 10: ~1.8 MB that inflates to 462 MB, ``rows`` rows + a header."""
    head = (SHEET_HEAD + _inline("Nombre", "Correo")).encode()
    block = _inline("Ana García", "ana@example.com", "Madrid").encode() * block_rows
    tail = SHEET_TAIL.encode()
    times = rows // block_rows
    stream = _deflated(head, final=False) + _deflated(block, final=False) * times + \
        _deflated(tail, final=True)
    crc = zlib.crc32(head)
    for _ in range(times):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(tail, crc)
    size = len(head) + len(block) * times + len(tail)
    return workbook(("xl/worksheets/sheet1.xml", stream, crc, size))


def sparse(far_cell: str = "XFD1048576") -> bytes:
    """Two cells: A1 and ``far_cell``. A 1.6 KB file whose sheet spans A1:``far_cell``."""
    row = int("".join(ch for ch in far_cell if ch.isdigit()))
    sheet = (SHEET_HEAD
             + '<row r="1"><c r="A1" t="inlineStr"><is><t>Nombre</t></is></c></row>'
             + f'<row r="{row}"><c r="{far_cell}" t="inlineStr"><is><t>x</t></is></c></row>'
             + SHEET_TAIL)
    return workbook(_small("xl/worksheets/sheet1.xml", sheet))


def rows_sheet(records: list[list[str]]) -> bytes:
    """A plain workbook (inline strings) with ``records`` as its rows."""
    return workbook(_small("xl/worksheets/sheet1.xml",
                           SHEET_HEAD + "".join(_inline(*r) for r in records) + SHEET_TAIL))


def lying(records: list[list[str]], declared: int) -> bytes:
    """Like ``rows_sheet``, but the sheet member declares ``declared`` bytes (its CRC is that
    of the declared prefix, so only its real length gives it away)."""
    name, payload, _crc, size = _small(
        "xl/worksheets/sheet1.xml",
        SHEET_HEAD + "".join(_inline(*r) for r in records) + SHEET_TAIL)
    real = zlib.decompress(payload, -15)
    assert declared < size
    return workbook((name, payload, zlib.crc32(real[:declared]), declared))


def many_members(n: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(n):
            zf.writestr(f"x/{i}", b"")
    return buf.getvalue()


__all__ = ["bomb", "lying", "many_members", "rows_sheet", "sparse", "workbook", "write_zip"]
