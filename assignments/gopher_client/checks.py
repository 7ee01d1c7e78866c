"""Checks for gopher_client: gopher_client.py HOST SELECTOR, a Gopher client (TCP port 70).

Inside the sandbox the handout's host (quux.org) leads to the harness's fake
Gopher server (harness.gopher), which records the request exactly and sends
its document in pieces, each only after the client read the previous one.
"""

import random

import pytest

from harness.compare import describe_bytes_mismatch, shorten
from harness.gopher import FakeGopherServer, binary_document
from harness.outcomes import CheckFailed, HarnessError

HOST = "quux.org"


def fake_gopher(lab, document, pieces=5):
    """Start the fake server; the HOST argument to pass to the program."""
    address = lab.host_address(HOST)
    try:
        server = FakeGopherServer(lab.transcript, address, document, pieces=pieces)
    except OSError as exc:
        raise HarnessError(f"the grader cannot play {HOST} here (binding {address}:70: {exc}); "
                           "run the check with namespaces or Docker") from exc
    lab.fake(server)
    if lab.hosts_redirected:
        return HOST
    lab.note(f"this sandbox cannot redirect {HOST}, so the program is given {address} as HOST instead")
    return address


@pytest.mark.points(4)
@pytest.mark.budget(15)
def test_document_byte_exact(lab):
    """A 300 KB document, sent in pieces and full of non-UTF-8 bytes, is copied to stdout byte for byte."""
    document = binary_document()
    host = fake_gopher(lab, document)
    selector = "/archive/burrow.bin"
    lab.hint = (f"python3 gopher_client.py {HOST} {selector} > out.bin\n"
                "Read until recv() returns b'' (the server closed) and write the bytes with sys.stdout.buffer.write().")
    program = lab.run([host, selector], timeout=10)
    printed = program.stdout()
    problem = describe_bytes_mismatch(document, printed)
    if problem:
        raise CheckFailed(
            f"The server sent a {len(document)}-byte document (in 5 pieces, each after the client read the previous "
            f"one, then closed the connection); standard output differs from it:\n{problem}"
            + (f"\nThe program's stderr ends with:\n{program.stderr_tail()}" if program.stderr() else ""))
    if program.returncode != 0:
        raise CheckFailed(f"The document was copied exactly, but the program exited with status {program.returncode} "
                          "(expected 0).")


@pytest.mark.points(3)
@pytest.mark.budget(15)
def test_selector_exact(lab):
    """The request is exactly the selector followed by CRLF."""
    host = fake_gopher(lab, b"iThe document you asked for.\tfake\tquux.org\t70\r\n", pieces=1)
    selector = f"/Software/Gopher/releases-{random.randrange(1000, 9999)}.txt"
    expected = selector.encode() + b"\r\n"
    program = lab.run([host, selector], timeout=10)
    server = lab.last_fake()
    if server.request is None:
        raise CheckFailed(f"The program never connected to {HOST} port 70 (exit status {program.returncode}).\n"
                          f"Its stderr ends with:\n{program.stderr_tail()}")
    problem = describe_bytes_mismatch(expected, server.request)
    if problem:
        raise CheckFailed(
            f"Run as `gopher_client.py {host} {selector}`, the program should send {shorten(expected)}; "
            f"the server received {shorten(server.request)}"
            + ("" if server.request_complete else " (and no line end within 3 s)") + f":\n{problem}\n"
            "A Gopher request is the selector followed by CRLF (b'\\r\\n').")


@pytest.mark.points(2)
@pytest.mark.budget(15)
def test_usage_without_arguments(lab):
    """Missing arguments: a usage message on stderr and exit status 2, no traceback."""
    for args in ([], [HOST]):
        program = lab.run(args, timeout=5)
        shown = " ".join(["python3 gopher_client.py", *args])
        err = program.stderr().decode("utf-8", "replace")
        if "Traceback" in err:
            raise CheckFailed(f"`{shown}` ended in a traceback:\n{program.stderr_tail()}\n"
                              "Check the arguments first (argparse does this for you) and print a usage message.")
        if "usage" not in err.lower():
            raise CheckFailed(f"`{shown}` should print a usage message on stderr (a line starting with "
                              f"'usage:'); stderr was: {err[-300:]!r}")
        if program.returncode != 2:
            raise CheckFailed(f"`{shown}` printed a usage message but exited with status {program.returncode}; "
                              "expected 2 (what argparse uses for a command-line error).")
