"""Nothing a student program starts survives its check, and every check starts it afresh.

A process-group kill is not enough (setsid and double forks leave the group);
the local sandbox's PID namespace is. These programs record every pid they
create in a file outside the sandbox, so the test can look for survivors.
"""

from __future__ import annotations

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

STUBBORN = '''import os, signal, socket
def record():
    with open(PIDS, "a") as f:
        f.write(f"{os.getpid()}\\n")
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
record()
''' + ECHO + '''
s = socket.socket()
s.bind(("", 9000))
s.listen()
serve(s)
'''

DAEMON = '''import os, socket, time
def record():
    with open(PIDS, "a") as f:
        f.write(f"{os.getpid()}\\n")
''' + ECHO + '''
s = socket.socket()
s.bind(("", 9000))
s.listen()
record()
if os.fork() == 0:
    os.setsid()                      # leave the process group...
    if os.fork() == 0:               # ...and the session leader: a classic daemon
        record()
        serve(s)                     # keeps port 9000 open
    os._exit(0)
serve(s)
'''


def write_program(tmp_path: Path, source: str) -> tuple[Path, Path]:
    pids = tmp_path / "pids.txt"
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "echo_server.py").write_text(f"PIDS = {str(pids)!r}\n" + source)
    return folder, pids


def survivors(pids_file: Path) -> list[int]:
    alive = []
    for line in pids_file.read_text().split():
        try:
            cmdline = Path(f"/proc/{int(line)}/cmdline").read_bytes()
        except OSError:
            continue
        if b"echo_server.py" in cmdline:
            alive.append(int(line))
    return alive


@pytest.mark.parametrize("source", [STUBBORN, DAEMON], ids=["ignores-sigint-sigterm", "double-fork-setsid"])
def test_nothing_survives_and_every_check_starts_afresh(source, tmp_path, check_json):
    folder, pids = write_program(tmp_path, source)
    code, doc = check_json("tcp_echo", folder)
    outcomes = {t["name"]: t["extra_data"]["outcome"] for t in doc["tests"]}
    assert set(outcomes.values()) == {"passed"}, outcomes  # a fresh start for every check
    started = pids.read_text().split()
    assert len(started) >= 9, "each check started the program again"
    assert survivors(pids) == []
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
