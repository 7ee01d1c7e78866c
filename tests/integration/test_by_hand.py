"""Every "Try it yourself" one-liner of the shared echo moves works as printed, against the reference.

Each runs in a network namespace of its own (unshare), so the reference's fixed port meets no one else's.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from harness.probes import by_hand

REPO = Path(__file__).resolve().parents[2]
SERVER = REPO / "reference" / "tcp_echo" / "echo_server.py"

EXPECTED = {  # move: what its Python one-liner prints against a correct server
    "echo_no_newline": "b'no newline at the end'",
    "echo_large": "True",
    "echo_bytewise": "b'one byte at a time\\n'",
    "all_byte_values": "True",
    "clients_in_turn": "\n".join(f"b'client {i}\\n'" for i in range(5)),
    "survives_reset": "b'hi\\n'",
    "shutdown_flush": "True",
}

pytestmark = pytest.mark.skipif(shutil.which("unshare") is None or shutil.which("ip") is None,
                                reason="needs unshare and ip (util-linux, iproute2)")


def one_liner(move: str) -> str:
    lines = getattr(by_hand, move)(SimpleNamespace(file="echo_server.py", port=9000))
    commands = [line for line in lines.splitlines() if line.startswith("python3 -c ")]
    assert len(commands) == 1, lines
    return commands[0]


@pytest.mark.parametrize("move", sorted(EXPECTED))
def test_the_one_liner_does_what_it_says_against_the_reference(move: str, tmp_path: Path) -> None:
    shutil.copy(SERVER, tmp_path / "echo_server.py")
    wait = (f"{sys.executable} -c \"import socket, time\n"
            "for _ in range(500):\n"
            "    try: socket.create_connection(('127.0.0.1', 9000)).close(); break\n"
            "    except OSError: time.sleep(0.01)\"")
    script = f"ip link set lo up && ({sys.executable} echo_server.py & {wait} && {one_liner(move)}; kill %1)"
    proc = subprocess.run(["unshare", "--user", "--map-root-user", "--net", "bash", "-c", script],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == EXPECTED[move], proc.stdout + proc.stderr


def test_every_hint_keeps_its_comments_apart_from_its_commands() -> None:
    lab = SimpleNamespace(file="echo_server.py", port=9000)
    moves = [name for name in dir(by_hand) if not name.startswith("_") and name != "annotations"
             and callable(getattr(by_hand, name)) and name != "LabSession"]
    assert len(moves) >= 9
    for move in moves:
        for line in getattr(by_hand, move)(lab).splitlines():
            if "#" in line and not line.startswith(("#", "python3 -c")):
                command, _, _ = line.partition("#")
                assert command.endswith(" "), (move, line)
