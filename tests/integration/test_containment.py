"""Nothing a student program starts survives its check, and every check starts it afresh.

A process-group kill is not enough (setsid and double forks leave the group);
the local sandbox's PID namespace is. The program cannot write outside its
sandbox (harness.mounts), so it marks itself instead: it re-executes itself
with a marker argument that the test looks for in every command line on the
machine afterwards.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ECHO = '''
def serve(listener):
    while True:
        conn, _ = listener.accept()
        with conn:
            while True:
                try:
                    data = conn.recv(65536)
                except ConnectionResetError:
                    break
                if not data:
                    break
                try:
                    conn.sendall(data)
                except OSError:
                    break
'''

MARK = '''import os, sys
if sys.argv[1:] != [MARKER]:
    os.execv(sys.executable, [sys.executable, sys.argv[0], MARKER])
'''

STUBBORN = MARK + '''import signal, socket
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
''' + ECHO + '''
s = socket.socket()
s.bind(("", 9000))
s.listen()
serve(s)
'''

DAEMON = MARK + '''import socket, time
''' + ECHO + '''
s = socket.socket()
s.bind(("", 9000))
s.listen()
if os.fork() == 0:
    os.setsid()                      # leave the process group...
    if os.fork() == 0:               # ...and the session leader: a classic daemon
                serve(s)                     # keeps port 9000 open
    os._exit(0)
serve(s)
'''


def write_program(tmp_path: Path, source: str) -> tuple[Path, str]:
    # Unique on the machine: tmp_path's name repeats across xdist workers (each numbers its own), and the
    # other worker's program, running at the same time, must not count as a survivor of this one.
    marker = f"survivor-mark-{uuid.uuid4().hex}"
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "echo_server.py").write_text(f"MARKER = {marker!r}\n" + source)
    return folder, marker


def survivors(marker: str) -> list[int]:
    alive = []
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline.split(b"\0"):
            alive.append(int(entry.name))
    return alive


@pytest.mark.parametrize("source", [STUBBORN, DAEMON], ids=["ignores-sigint-sigterm", "double-fork-setsid"])
def test_nothing_survives_and_every_check_starts_afresh(source, tmp_path, check_json):
    folder, marker = write_program(tmp_path, source)
    code, doc = check_json("tcp_echo", folder)
    outcomes = {t["name"]: t["extra_data"]["outcome"] for t in doc["tests"]}
    assert set(outcomes.values()) == {"passed"}, outcomes  # a fresh start for every check
    assert survivors(marker) == []
    assert doc["extra_data"]["containment"] == "pidns"


def test_parallel_gradings_share_port_9000_without_conflict():
    """Two gradings of servers on the same port at the same time do not see each other."""
    from concurrent.futures import ThreadPoolExecutor

    from grader.backends import RunRequest
    from grader.backends.local import LocalBackend
    from grader.labs import get_lab

    lab = get_lab("tcp_echo")
    request = RunRequest(lab=lab, submission=lab.reference)
    with ThreadPoolExecutor(4) as pool:
        reports = list(pool.map(lambda _: LocalBackend().run(request), range(4)))
    assert all(r.all_passed for r in reports), [r.outcomes() for r in reports]
