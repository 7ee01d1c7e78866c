"""Checks for tcp_echo: echo_server.py on TCP port 9000.

Each check starts the program afresh in its own network namespace, talks to
it as one or more clients, and compares bytes exactly.
"""

import random
import threading

import pytest

from harness.compare import describe_bytes_mismatch, digest
from harness.outcomes import CheckFailed


@pytest.mark.points(2)
@pytest.mark.budget(10)
def test_echo_short(lab):
    """A short message comes back unchanged."""
    lab.server()
    client = lab.connect("client")
    client.send(b"hello, echo\n")
    client.expect(b"hello, echo\n")


@pytest.mark.points(2)
@pytest.mark.budget(10)
def test_echo_no_newline(lab):
    """A message without a newline is echoed while the client waits (it neither sends more nor closes)."""
    lab.server()
    client = lab.connect("client")
    client.send(b"no newline at the end")
    client.expect(b"no newline at the end", timeout=3,
                  what=" (the server must echo what it received without waiting for a newline)")


@pytest.mark.points(2)
@pytest.mark.budget(10)
def test_echo_several(lab):
    """Several messages on one connection, each echoed before the next is sent."""
    lab.server()
    client = lab.connect("client")
    for i, message in enumerate([b"first\n", b"second message\n", b"third, and the last\n"]):
        client.send(message)
        client.expect(message, what=f" (message {i + 1} of 3)")


@pytest.mark.points(3)
@pytest.mark.budget(20)
def test_echo_large(lab):
    """1 MiB of random bytes is echoed byte-exact while the client reads concurrently."""
    payload = random.Random(9000).randbytes(1 << 20)
    lab.server()
    client = lab.connect("client")
    errors = []

    def send_all():
        try:
            for i in range(0, len(payload), 65536):
                client.sock.sendall(payload[i:i + 65536])
        except OSError as exc:
            errors.append(exc)

    lab.note(f"sending {len(payload)} random bytes (sha256 {digest(payload)}) in 64 KiB pieces while reading")
    sender = threading.Thread(target=send_all, daemon=True)
    sender.start()
    try:
        received = client.recv_exact(len(payload), timeout=6, what=" (the echo of 1 MiB)")
    finally:
        client.abort()
        sender.join(5)
    problem = describe_bytes_mismatch(payload, received)
    if problem:
        raise CheckFailed(f"The echo of 1 MiB differs from what was sent:\n{problem}")


@pytest.mark.points(2)
@pytest.mark.budget(20)
def test_echo_bytewise(lab):
    """A message sent one byte at a time (each byte read by the server before the next) comes back whole."""
    message = b"one byte at a time\n"
    lab.server()
    client = lab.connect("client")
    client.send_fragments([message[i:i + 1] for i in range(len(message))])
    client.expect(message)


@pytest.mark.points(2)
@pytest.mark.budget(10)
def test_all_byte_values(lab):
    """All 256 byte values (binary data, not text) come back unchanged."""
    payload = bytes(range(256)) * 4
    lab.server()
    client = lab.connect("client")
    client.send(payload)
    client.expect(payload)


@pytest.mark.points(2)
@pytest.mark.budget(15)
def test_clients_in_turn(lab):
    """Five clients one after another: each is echoed, and the server closes when the client is done."""
    lab.server()
    for i in range(5):
        client = lab.connect(f"client {i + 1}")
        message = f"client {i + 1} says hello\n".encode()
        client.send(message)
        client.expect(message)
        client.shutdown_write()
        client.expect_eof(timeout=3)
        client.close()


@pytest.mark.points(2)
@pytest.mark.budget(10)
def test_survives_reset(lab):
    """A client that aborts its connection (RST) does not stop the server: the next client is served."""
    program = lab.server()
    first = lab.connect("client A")
    first.send(b"before the reset\n")
    first.expect(b"before the reset\n")
    # Abort with nothing left unread on either side: the server's next recv() then
    # fails with ConnectionResetError every time (with data in flight it might
    # instead read the data and fail in sendall, or not: a race).
    first.abort()
    second = lab.connect("client B")
    second.send(b"after the reset\n")
    try:
        second.expect(b"after the reset\n")
    except CheckFailed:
        if program.wait(1.0) is not None:  # bounded: only on the failure path
            lab.note("the server exited after client A's reset: catch ConnectionResetError around recv()/sendall()")
        raise


@pytest.mark.points(3)
@pytest.mark.budget(15)
def test_shutdown_flush(lab):
    """After the client shuts down its write side, the server sends back everything it owes, then closes."""
    lines = b"".join(f"line {i:05d} of the text\n".encode() for i in range(2000))
    payload = lines + b"and an unterminated last line"
    lab.server()
    client = lab.connect("client")
    client.send(payload)
    client.shutdown_write()
    received = client.recv_until_eof(timeout=5)
    problem = describe_bytes_mismatch(payload, received)
    if problem:
        raise CheckFailed(f"After the client's FIN the server closed without echoing everything:\n{problem}")
