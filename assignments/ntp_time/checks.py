"""Checks for ntp_time: ntp_time.py asks pool.ntp.org (SNTP, UDP 123) and prints the time.

Inside the sandbox pool.ntp.org leads to the harness's fake SNTP server
(harness.sntp), which answers with a time of its own choosing, different on
every run; the program runs with TZ=UTC, so the printed line is exact.
"""

import pytest

from harness.compare import normalize_lines
from harness.outcomes import CheckFailed, HarnessError
from harness.sntp import NTP_PORT, FakeSntpServer, expected_ctime, random_server_time

HOST = "pool.ntp.org"


def fake_ntp(lab, answer):
    address = lab.host_address(HOST)
    # Without a namespace of its own (the fallback) the sandbox can neither point pool.ntp.org at us
    # nor bind port 123: any free port then, and the program's resolver is told (lab.serve_host).
    port = NTP_PORT if lab.hosts_redirected else 0
    try:
        server = FakeSntpServer(lab.transcript, address, random_server_time(), answer=answer, port=port)
    except OSError as exc:
        raise HarnessError(f"the grader cannot play {HOST} here (binding UDP {address}:{port}: {exc}); "
                           "run the check with namespaces or Docker") from exc
    lab.serve_host(HOST, server.port)
    return lab.fake(server)


def output_lines(program):
    out = program.stdout().decode("utf-8", "replace") + "\n" + program.stderr().decode("utf-8", "replace")
    return [line for line in normalize_lines(out) if line]


@pytest.mark.points(4)
@pytest.mark.budget(15)
def test_prints_server_time(lab):
    """The printed line is time.ctime() of the transmit time the server sent (not the local clock, not another field)."""
    server = fake_ntp(lab, answer=True)
    expected = expected_ctime(server.transmit_time)
    lab.note(f"the server's transmit time is {server.transmit_time} = {expected!r} (UTC); "
             f"its receive time is 4 s earlier: {expected_ctime(server.transmit_time - 4)!r}")
    program = lab.run(timeout=9)
    if not server.requests:
        raise CheckFailed(f"The program did not send any request to {HOST} (UDP port 123). "
                          f"It printed: {program.stdout()[-300:]!r}\nIts stderr ends with:\n{program.stderr_tail()}")
    printed = normalize_lines(program.stdout().decode("utf-8", "replace"))
    last = printed[-1] if printed else ""
    if last != normalize_lines(expected)[0]:
        raise CheckFailed(
            f"The server's transmit time was {server.transmit_time}, so the program should print\n"
            f"  {expected!r}\nbut the last line it printed was\n  {last!r}\n"
            "Print time.ctime(response.tx_time): the time the server sent, not the local clock or another field."
            + (f"\nIts stderr ends with:\n{program.stderr_tail()}" if program.stderr() else ""))
    if program.returncode != 0:
        raise CheckFailed(f"The right time was printed, but the program exited with status {program.returncode} "
                          "(expected 0).")


@pytest.mark.points(3)
@pytest.mark.budget(20)
def test_no_answer(lab):
    """When the server does not answer, a one-line error message and a non-zero exit status (no traceback)."""
    server = fake_ntp(lab, answer=False)
    lab.hint = ("ntplib gives up after its timeout (5 s by default) with ntplib.NTPException:\n"
                "  TZ=UTC python3 ntp_time.py   (with the network unplugged) must print one line and exit 1")
    program = lab.run(timeout=12)
    if not server.requests:
        raise CheckFailed(f"The program did not send any request to {HOST} (UDP port 123), so this check "
                          f"could not test what it does when no answer comes.\nIts stderr ends with:\n{program.stderr_tail()}")
    lines = output_lines(program)
    if b"Traceback" in program.stderr():
        raise CheckFailed("With no answer from the server the program ended in a traceback:\n"
                          f"{program.stderr_tail()}\nCatch ntplib.NTPException and print a one-line message instead.")
    if not lines:
        raise CheckFailed(f"With no answer from the server the program printed nothing (exit status "
                          f"{program.returncode}): it should print a one-line error message.")
    if len(lines) > 2:
        raise CheckFailed(f"With no answer from the server the program printed {len(lines)} lines; expected a "
                          f"one-line error message. It printed:\n" + "\n".join("  " + x for x in lines[:8]))
    if program.returncode == 0:
        raise CheckFailed(f"With no answer from the server the program printed {lines[0]!r} but exited with "
                          "status 0: an error must end with a non-zero exit status (sys.exit(1)).")
