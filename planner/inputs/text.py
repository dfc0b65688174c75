"""Bytes to text: a regular file, not too large, UTF-8, without control characters."""

from __future__ import annotations

import re
import stat
from pathlib import Path

from planner.inputs.problems import MAX_FILE_BYTES, fail

_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# What YAML allows in a file (its printable set); JSON plans are held to the same.
_NOT_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def read_text(path: str | Path) -> str:
    """The text of an input file: a regular file, not too large, UTF-8, no control characters."""
    path = Path(path)
    source = str(path)
    try:
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):
            raise fail(source, "cannot read the file: not a regular file")
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise fail(source, f"cannot read the file: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise fail(
            source,
            f"the file is larger than {MAX_FILE_BYTES:,} bytes, the limit for an input file "
            "(is it the right file?)",
        )
    return decode_text(raw, source)


def decode_text(raw: bytes, source: str) -> str:
    """Bytes as UTF-8 text (without a leading UTF-8 byte order mark), or a located problem."""
    if raw.startswith(_UTF8_BOM):
        raw = raw[len(_UTF8_BOM) :]
    elif raw.startswith(_UTF16_BOMS):
        raise fail(
            source,
            "the file is UTF-16 text (it starts with a UTF-16 byte order mark); save it as UTF-8",
            1,
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        hint = " (it looks like a binary file)" if b"\x00" in raw[:4096] else ""
        raise fail(
            source,
            f"the file is not UTF-8 text{hint}: byte 0x{raw[exc.start]:02x} at line {line}, column "
            f"{column} is not UTF-8; save the file as UTF-8",
            line,
        ) from None
    check_printable(text, source)
    return text


def check_printable(text: str, source: str) -> None:
    """Refuse control characters (a NUL, an escape...): a text file does not hold them."""
    found = _NOT_PRINTABLE.search(text)
    if found is not None:
        line, column = line_column(text, found.start())
        hint = " (is it a binary file?)" if found.group() == "\x00" else ""
        raise fail(
            source,
            f"character U+{ord(found.group()):04X} at line {line}, column {column} is a control "
            f"character, not text{hint}",
            line,
        )


def line_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1
