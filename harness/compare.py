"""Pure comparisons that explain themselves.

Bytes on a socket are compared exactly; printed lines leniently (labs.md:
trailing white space ignored, runs of spaces count as one, CRLF is a line end).
Every mismatch is described with the first differing byte offset and a
shortened view around it.
"""

from __future__ import annotations

import hashlib
import re

VIEW = 24  # bytes shown on each side of the first difference


def shorten(data: bytes, limit: int = 80) -> str:
    """repr-like view of bytes, elided in the middle when long."""
    if len(data) <= limit:
        return _show(data)
    half = limit // 2
    return f"{_show(data[:half])} ...({len(data) - 2 * half} bytes)... {_show(data[-half:])}"


def _show(data: bytes) -> str:
    return repr(bytes(data))


def first_difference(expected: bytes, received: bytes) -> int | None:
    """Offset of the first differing byte, len of the shorter if one is a prefix, None if equal."""
    if expected == received:
        return None
    n = min(len(expected), len(received))
    for i in range(n):
        if expected[i] != received[i]:
            return i
    return n


def describe_bytes_mismatch(expected: bytes, received: bytes) -> str | None:
    """None when equal, else a few lines explaining where and how they differ."""
    off = first_difference(expected, received)
    if off is None:
        return None
    lines = [f"expected {len(expected)} bytes, received {len(received)} bytes"]
    if off == len(received) < len(expected):
        lines.append(f"received data stops at byte offset {off}: it is a prefix of what was expected")
    elif off == len(expected) < len(received):
        lines.append(f"the first {off} bytes match, then {len(received) - off} unexpected extra bytes")
    else:
        lines.append(f"first difference at byte offset {off}")
    lo = max(0, off - VIEW)
    lines.append(f"  expected[{lo}:{off + VIEW}] = {_show(expected[lo:off + VIEW])}")
    lines.append(f"  received[{lo}:{off + VIEW}] = {_show(received[lo:off + VIEW])}")
    return "\n".join(lines)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


_SPACES = re.compile(r"[ \t]+")


def normalize_lines(text: str) -> list[str]:
    """Printed output as lines, compared leniently (see module doc)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", line).rstrip() for line in text.split("\n")]
    while lines and lines[-1] == "":
        lines.pop()
    return lines


def describe_lines_mismatch(expected: list[str], printed: str) -> str | None:
    """Compare printed text with expected lines leniently; None when they match."""
    got = normalize_lines(printed)
    want = [_SPACES.sub(" ", w).rstrip() for w in expected]
    if got == want:
        return None
    for i, (w, g) in enumerate(zip(want, got, strict=False)):
        if w != g:
            return (f"line {i + 1} differs:\n  expected: {w!r}\n  printed:  {g!r}")
    if len(got) < len(want):
        return f"only {len(got)} line(s) printed; missing line {len(got) + 1}: {want[len(got)]!r}"
    return f"{len(got) - len(want)} extra line(s) printed after the expected ones, first: {got[len(want)]!r}"
