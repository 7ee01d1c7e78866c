"""The output cap never changes what the program does (issue 12).

A server that prints far more than the cap (here 40 MB before it listens, and
a line for every chunk it echoes) serves exactly as it would in a terminal:
its writes never fail, and the feedback says the output was truncated.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from harness.capture import OUTPUT_CAP, Capture, Drain

CHATTY = '''import socket, sys
sys.stdout.write("x" * (40 << 20))  # past the cap: must not raise "File too large"
sys.stdout.flush()
with socket.socket() as s:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("", 9000))
    s.listen()
    while True:
        c, _ = s.accept()
        with c:
            try:
                while d := c.recv(65536):
                    print("got", len(d), "bytes:", d[:2000])
                    c.sendall(d)
            except OSError:
                pass
'''


def test_writes_past_the_cap_never_fail(tmp_path: Path) -> None:
    out = Capture(tmp_path / "out")
    drain = Drain([out])
    w = os.dup(out.write_fd)
    drain.start()
    total = OUTPUT_CAP + (8 << 20)

    def write() -> None:
        chunk = b"y" * (1 << 20)
        for _ in range(total // len(chunk)):
            os.write(w, chunk)  # would raise EFBIG with RLIMIT_FSIZE on a file
        os.close(w)

    writer = threading.Thread(target=write)
    writer.start()
    writer.join(30)
    assert not writer.is_alive()
    drain.close()
    assert out.kept == OUTPUT_CAP and out.dropped == total - OUTPUT_CAP
    assert len(out.read()) == OUTPUT_CAP


def test_read_sees_every_completed_write(tmp_path: Path) -> None:
    """No wait for the drain thread: what the program wrote is what read() gives."""
    out = Capture(tmp_path / "out")
    drain = Drain([out])
    w = os.dup(out.write_fd)
    drain.start()
    try:
        for n in range(200):
            os.write(w, b"%d\n" % n)
            assert out.read().endswith(b"%d\n" % n)
    finally:
        os.close(w)
        drain.close()


@pytest.mark.slow
def test_a_server_printing_every_chunk_gets_full_marks(tmp_path: Path, check_json) -> None:
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "echo_server.py").write_text(CHATTY)
    code, doc = check_json("tcp_echo", folder)
    assert doc["score"] == doc["extra_data"]["max_score"], [(t["name"], t["output"][-600:]) for t in doc["tests"]]
    echo = next(t for t in doc["tests"] if t["name"] == "echo_short")
    assert "the output was truncated" in echo["output"]
    assert "File too large" not in echo["output"]
