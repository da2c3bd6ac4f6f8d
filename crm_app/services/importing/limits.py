"""How big a file the importer reads, checked *while* it is read.

A 1.8 MB XLSX can hold a sheet that inflates to 462 MB (3,000,000 rows): read whole, it took
the web process from 222 MB to 3.7 GB for 47 s. Every limit here is checked before the part of
the file it guards is turned into cells, and stops the read with a Spanish message
(``FileTooBig``, a ``FileUnreadable``: the wizard, the CLI and any HTTP path already report
those, and nothing is imported):

- ``max_bytes``: the file as given (a CSV, or the XLSX itself), before anything is decoded;
- ``max_unzipped_bytes``: an XLSX's declared contents, before anything is inflated; then
  every member is inflated 1 MB at a time (never kept) to check that it is no bigger than it
  declares, and the first sheet's rows are counted on the way: the read stops at the first
  piece past ``max_rows`` (the 462 MB sheet is refused after ~150 MB of XML, never parsed)
  or one byte past a member's declared size (a zip that lies about its sizes);
- ``max_rows``: records below the header (blank ones included, as a spreadsheet numbers
  them); CSV readers stop one record past it;
- ``max_cell_chars``: the longest cell (32,767 is Excel's own limit), checked on the read
  (and stripped) columns before validation sees them, naming the row and column;
- the spreadsheet parser (calamine, through fastexcel) builds the whole sheet as a dense grid
  in memory, so a 1.6 KB file with one cell in A1 and one in XFD1048576 asks for 550 GB and
  aborts the process. It therefore runs in a child process capped at ``sheet_memory_bytes``
  of address space and ``sheet_seconds`` of CPU (``excel.read_sheet``): whatever a sheet
  does, it can only take the child down, and the web process never holds the parser's grid.
  Only a small workbook (``SMALL_WORKBOOK`` of contents) whose cells ``grid_cells`` places on
  a grid of at most ``SMALL_GRID`` cells is parsed in-process, sparing the child's start.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import polars as pl

from crm_app.formatting import number
from crm_app.i18n import t
from crm_app.services.importing.errors import FileTooBig, FileUnreadable
from crm_app.settings import get_settings

MB = 1024 * 1024
CHUNK = MB  # inflated bytes looked at a time
_IN = 64 * 1024  # compressed bytes fed at a time
MAX_ZIP_ENTRIES = 10_000  # a workbook has tens; a central directory of millions is an attack
SMALL_WORKBOOK = 4 * MB  # contents of a workbook that may be parsed in-process…
SMALL_GRID = 2_000_000  # … if its grid is at most this (64 MB in the parser)
_METADATA_BYTES = 4 * MB  # workbook.xml and its relationships are a few KB
_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_EOCD = b"PK\x06\x06"
_ROOT = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?worksheet[\s>]")
_SHEET = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sheet\s[^>]*?\b(?:[A-Za-z_][\w.-]*:)?id=\"([^\"]+)\"")
_RELATIONSHIP = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?Relationship\s([^>]*)>")
_ATTRIBUTE = re.compile(rb"([A-Za-z_][\w.:-]*)=\"([^\"]*)\"")
_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)(?=[\s/>])([^>]*)>")
_REF = re.compile(rb"(?:^|\s)r=\"([A-Z]*)([0-9]*)\"")


@dataclass(frozen=True)
class ImportLimits:
    max_rows: int = 1_000_000
    max_bytes: int = 256 * MB
    max_unzipped_bytes: int = 1024 * MB
    max_cell_chars: int = 32_767
    sheet_memory_bytes: int = 3072 * MB
    sheet_seconds: int = 300

    @classmethod
    def current(cls) -> ImportLimits:
        """The limits of ``CRM_IMPORT_*`` (settings)."""
        s = get_settings()
        return cls(max_rows=s.import_max_rows, max_bytes=s.import_max_mb * MB,
                   max_unzipped_bytes=s.import_max_unzipped_mb * MB,
                   max_cell_chars=s.import_max_cell_chars,
                   sheet_memory_bytes=s.import_sheet_memory_mb * MB)

    @property
    def max_records(self) -> int:
        """Records a file may have: the rows plus the header."""
        return self.max_rows + 1


def _mb(size: int) -> str:
    return number(size / MB, 1) if size < 10 * MB else number(size // MB)


def check_size(size: int, limits: ImportLimits) -> None:
    """The file as given (a CSV's text, an XLSX's zip) is at most ``max_bytes``: checked
    before it is read into memory (CLI, wizard upload) and again on the bytes."""
    if size > limits.max_bytes:
        raise FileTooBig(t("import_limits.too_big", mb=_mb(size),
                           max_mb=_mb(limits.max_bytes)))


def too_many_rows(limits: ImportLimits) -> FileTooBig:
    return FileTooBig(t("import_limits.too_many_rows", max=number(limits.max_rows)))


def check_records(records: int, limits: ImportLimits) -> None:
    if records > limits.max_records:
        raise too_many_rows(limits)


# --- XLSX: sizes and rows before the sheet is parsed ----------------------------------------


def zip_entries(data: bytes) -> int | None:
    """The entry count of a zip's end-of-central-directory record (zip64 too), read before
    ``zipfile`` builds an object per entry; ``None`` when there is no such record."""
    pos = data.rfind(_EOCD, max(0, len(data) - 65_557))
    if pos < 0 or pos + 22 > len(data):
        return None
    entries = int.from_bytes(data[pos + 10:pos + 12], "little")
    if entries == 0xFFFF and pos >= 20 and data[pos - 20:pos - 16] == _ZIP64_LOCATOR:
        offset = int.from_bytes(data[pos - 12:pos - 4], "little")
        if data[offset:offset + 4] == _ZIP64_EOCD:
            entries = int.from_bytes(data[offset + 32:offset + 40], "little")
    return entries


def check_xlsx(data: bytes, limits: ImportLimits) -> bool:
    """Refuse an XLSX over the limits before its sheet is parsed: too many members, declared
    contents over ``max_unzipped_bytes``, a member bigger than it declares, or a first sheet
    with more than ``max_records`` rows (counted while it is inflated, 1 MB at a time,
    stopping at the first piece past the limit). Rows are only counted in a workbook's
    sheets; other zips (ODS, XLSB) are left to the sandboxed reader's memory cap.

    Returns whether the workbook is small enough to be parsed in-process: at most
    ``SMALL_WORKBOOK`` of contents and a first sheet whose grid is at most ``SMALL_GRID``."""
    entries = zip_entries(data)
    if entries is not None and entries > MAX_ZIP_ENTRIES:
        raise FileUnreadable(t("import_limits.too_many_files", n=number(entries)))
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise FileUnreadable("La hoja de cálculo está dañada o no es un archivo Excel "
                             "válido.") from None
    if len(infos) > MAX_ZIP_ENTRIES:
        raise FileUnreadable(t("import_limits.too_many_files", n=number(len(infos))))
    declared = sum(max(0, i.file_size) for i in infos)
    if declared > limits.max_unzipped_bytes:
        raise FileTooBig(t("import_limits.too_big_unzipped", mb=_mb(declared),
                           max_mb=_mb(limits.max_unzipped_bytes)))
    names = {i.filename: i for i in infos}
    sheets: list[zipfile.ZipInfo] = []
    first = None
    if "xl/workbook.xml" in names:
        first = _first_sheet(zf, names)
        sheets = [first] if first else [i for n, i in names.items()
                                        if n.startswith("xl/worksheets/") and n.endswith(".xml")]
    small = first is not None and declared <= SMALL_WORKBOOK
    kept: list[bytes] = []
    # The sheets first: a bomb is usually there, and is refused before the rest is inflated.
    for info in sorted(infos, key=lambda i: i not in sheets):
        if info.is_dir():
            continue
        look = _RowCounter(limits).feed if info in sheets else None
        if small and info is first:
            counter = look

            def look(piece: bytes, counter: Callable[[bytes], None] = counter) -> None:
                counter(piece)
                kept.append(piece)
        _inflate(data, info, look)
    return small and grid_cells(b"".join(kept)) <= SMALL_GRID


def grid_cells(sheet: bytes) -> int:
    """How many cells the parser's grid for this worksheet XML can have at most: the
    farthest row times the farthest column any ``<row>`` or ``<c>`` reaches, placed as the
    parser places them (its ``r`` reference, else one past the previous row or cell)."""
    row = col = far_row = far_col = 0
    for tag in _TAG.finditer(sheet):
        ref = _REF.search(tag.group(2))
        letters, digits = (ref.group(1), ref.group(2)) if ref else (b"", b"")
        if tag.group(1) == b"row":
            row = int(digits) if digits else row + 1
            col = 0
        else:
            col = _column_number(letters) if letters else col + 1
            if digits:
                far_row = max(far_row, int(digits))
        far_row, far_col = max(far_row, row), max(far_col, col)
    return far_row * far_col


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _first_sheet(zf: zipfile.ZipFile, names: dict[str, zipfile.ZipInfo]
                 ) -> zipfile.ZipInfo | None:
    """The member of the workbook's first sheet (the one the reader loads), from
    ``xl/workbook.xml`` and its relationships; ``None`` when they cannot be read (then every
    worksheet is counted)."""
    book, rels = names.get("xl/workbook.xml"), names.get("xl/_rels/workbook.xml.rels")
    if book is None or rels is None or max(book.file_size, rels.file_size) > _METADATA_BYTES:
        return None
    try:
        match = _SHEET.search(zf.read(book))
        rel_xml = zf.read(rels)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise FileUnreadable("La hoja de cálculo está dañada o no es un archivo Excel "
                             "válido.") from None
    if match is None:
        return None
    for rel in _RELATIONSHIP.finditer(rel_xml):
        attrs = dict(_ATTRIBUTE.findall(rel.group(1)))
        if attrs.get(b"Id") == match.group(1):
            target = attrs.get(b"Target", b"").decode("utf-8", "replace")
            path = target.lstrip("/") if target.startswith("/") else "xl/" + target
            return names.get(path)
    return None


def _damaged() -> FileUnreadable:
    return FileUnreadable(t("import_limits.size_mismatch"))


def _member_pieces(data: bytes, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """A member's contents, ``CHUNK`` bytes at a time, inflated from its own compressed
    bytes (not through ``zipfile``, which stops at the declared size: a longer stream is
    what a lying member hides)."""
    start = info.header_offset
    if info.flag_bits & 1 or data[start:start + 4] != b"PK\x03\x04":
        raise _damaged()  # encrypted, or no local header where the directory points
    name_len, extra_len = struct.unpack("<HH", data[start + 26:start + 30])
    begin = start + 30 + name_len + extra_len
    packed = memoryview(data)[begin:begin + info.compress_size]
    if info.compress_type == zipfile.ZIP_STORED:
        for i in range(0, len(packed), CHUNK):
            yield bytes(packed[i:i + CHUNK])
        return
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise _damaged()
    inflater = zlib.decompressobj(-15)
    fed = 0
    try:
        while not inflater.eof:
            if inflater.unconsumed_tail:
                piece = inflater.decompress(inflater.unconsumed_tail, CHUNK)
            elif fed < len(packed):
                piece = inflater.decompress(packed[fed:fed + _IN], CHUNK)
                fed += _IN
            else:
                raise _damaged()  # the stream stops before its end
            if piece:
                yield piece
    except zlib.error:
        raise _damaged() from None


def _inflate(data: bytes, info: zipfile.ZipInfo,
             look: Callable[[bytes], None] | None) -> None:
    """Inflate one member, never past one byte more than it declares."""
    size = 0
    for piece in _member_pieces(data, info):
        size += len(piece)
        if size > info.file_size:
            raise _damaged()
        if look is not None:
            look(piece)
    if size != info.file_size:
        raise _damaged()


class _RowCounter:
    """Counts a worksheet's ``<row>`` elements (any namespace prefix) piece by piece and
    raises ``FileTooBig`` as soon as there are more than ``max_records``."""

    def __init__(self, limits: ImportLimits) -> None:
        self.limits = limits
        self.rows = 0
        self.tail = b""
        self.tags: tuple[bytes, ...] = ()

    def feed(self, piece: bytes) -> None:
        buf = self.tail + piece
        if not self.tags:
            root = _ROOT.search(buf)
            if root is None and len(buf) < 64 * 1024:
                self.tail = buf  # the root element is not complete yet
                return
            prefix = root.group(1) + b":" if root and root.group(1) else b""
            self.tags = (b"<" + prefix + b"row ", b"<" + prefix + b"row>")
        self.rows += sum(buf.count(tag) for tag in self.tags)
        if self.rows > self.limits.max_records:
            raise too_many_rows(self.limits)
        # A tag split between two pieces is counted in the next one: the kept tail is
        # shorter than a tag, so nothing is counted twice.
        self.tail = buf[-(len(self.tags[0]) - 1):]


# --- cells ---------------------------------------------------------------------------------


def check_cells(frame: pl.DataFrame, columns: list[str], row_column: str,
                limits: ImportLimits, headers: list[str] | None = None) -> None:
    """No cell longer than ``max_cell_chars``: a byte length is a cheap upper bound of the
    character length, so characters are only counted in a column that might be over."""
    limit = limits.max_cell_chars
    if not columns or frame.height == 0:
        return
    longest = frame.select([pl.col(c).str.len_bytes().max() for c in columns]).row(0)
    for index, (col, size) in enumerate(zip(columns, longest, strict=True)):
        if size is None or size <= limit:
            continue
        chars = frame[col].str.len_chars()
        over = frame.filter(chars > limit)
        if over.height == 0:
            continue
        row = over[row_column][0]
        n = over[col].str.len_chars()[0]
        name = headers[index] if headers and index < len(headers) and headers[index] else ""
        raise FileTooBig(t("import_limits.cell_too_long", row=row,
                           column=f"«{name}»" if name else _column_letter(index),
                           chars=number(n), max=number(limit)))


def _column_letter(index: int) -> str:
    letters = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


__all__ = ["MAX_ZIP_ENTRIES", "MB", "ImportLimits", "check_cells", "check_records",
           "check_size", "check_xlsx", "too_many_rows", "zip_entries"]
