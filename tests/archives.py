"""Real zip archives for the tests, made in memory."""

from __future__ import annotations

import io
import zipfile


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    """A zip (stored, not compressed: random data stays its size) holding `entries`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buffer.getvalue()
