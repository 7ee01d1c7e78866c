"""Checks for buffer_size: buffer_size.py prints SO_SNDBUF before and after setting the buffers.

The expected numbers are not constants: the harness asks the kernel itself,
in the same network namespace as the program, by doing the same socket calls
(the values depend on the system: Linux reports twice what was set).
"""

import re
import socket

import pytest

from harness.outcomes import CheckFailed

SEND_BUF_SIZE = RECV_BUF_SIZE = 4096
SYSTEM_WMEM = "4096 24576 4194304"  # assignment.yml `sysctls:`: a default no kernel ships, so nothing hard-coded matches


@pytest.fixture(autouse=True)
def system_default(lab):
    """Every check runs where a fresh TCP socket's send buffer is 24576 bytes (SYSTEM_WMEM); without a
    network namespace of its own, the program's sockets start with that size instead (harness.student_shim)."""
    lab.set_sysctl("net.ipv4.tcp_wmem", SYSTEM_WMEM, emulate="default")


def expected_sizes(lab):
    """(before, after): what the handout's calls report here, done by the harness itself."""
    with lab.tcp_socket() as sock:
        before = sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUF_SIZE)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECV_BUF_SIZE)
        after = sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
    return before, after


def printed_size(program, label):
    """The number on the line `Buffer size [label]:N` (a space after the colon is tolerated)."""
    text = program.stdout().decode("utf-8", "replace")
    pattern = re.compile(r"^\s*Buffer size \[" + label + r"\]:\s*(-?\d+)\s*$")
    for line in text.splitlines():
        m = pattern.match(line)
        if m:
            return int(m.group(1))
    raise CheckFailed(
        f"The program did not print a line `Buffer size [{label}]:N` (N a number).\n"
        f"It printed: {text[-400:]!r} and exited with status {program.returncode}."
        + (f"\nIts stderr ends with:\n{program.stderr_tail()}" if program.stderr() else ""))


def compare(label, printed, expected, meaning):
    if printed != expected:
        raise CheckFailed(
            f"The program printed `Buffer size [{label}]:{printed}`; here it should be "
            f"`Buffer size [{label}]:{expected}`: {meaning}")


@pytest.mark.points(2)
@pytest.mark.budget(10)
def test_before_value(lab):
    """The [Before] line shows the send buffer size (SO_SNDBUF) of a fresh TCP socket."""
    before, _after = expected_sizes(lab)
    program = lab.run(timeout=5)
    compare("Before", printed_size(program, "Before"), before,
            "getsockopt(SOL_SOCKET, SO_SNDBUF) of a fresh TCP socket, before any setsockopt.")


@pytest.mark.points(2)
@pytest.mark.budget(10)
def test_after_value(lab):
    """The [After] line shows SO_SNDBUF read back after setting SO_SNDBUF and SO_RCVBUF to 4096."""
    _before, after = expected_sizes(lab)
    program = lab.run(timeout=5)
    compare("After", printed_size(program, "After"), after,
            f"read SO_SNDBUF back with getsockopt after setting it to {SEND_BUF_SIZE} "
            "(the kernel does not keep the number it was given: Linux doubles it).")


@pytest.mark.points(1)
@pytest.mark.budget(10)
def test_follows_system_default(lab):
    """On a system with another default send buffer size, the [Before] line shows that one (nothing hard-coded)."""
    before, _after = expected_sizes(lab)
    lab.note(f"a fresh TCP socket's send buffer is {before} bytes here, not the usual 16384 (net.ipv4.tcp_wmem)")
    program = lab.run(timeout=5)
    compare("Before", printed_size(program, "Before"), before,
            "the size this system gives a fresh TCP socket; ask the socket, do not print a number seen elsewhere.")
