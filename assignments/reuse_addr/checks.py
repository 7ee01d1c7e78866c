"""Checks for reuse_addr: reuse_server.py on TCP port 8282, with SO_REUSEADDR.

Printed lines are read from the program's output file as they appear
(polled with a deadline) and compared leniently. The restart check sets the
TIME_WAIT trap with harness.timewait (server stopped while clients are
connected, clients close after it) and proves it is armed before it starts
the program a second time in the same network namespace.
"""

import pytest

from harness import timewait
from harness.compare import normalize_lines, shorten
from harness.outcomes import CheckFailed, CheckTimeout, ProgramCrashed
from harness.readiness import wait_until_listening
from harness.waiting import poll

STARTUP = ["Old sock state: 0", "New sock state: 1", "Listening on port: 8282"]

RESTART_HINT = """\
python3 reuse_server.py            # terminal 1
nc 127.0.0.1 8282                  # terminal 2: stays connected
# terminal 1: Ctrl-C the server while nc is connected, then at once:
python3 reuse_server.py            # must listen again, not fail with "Address already in use"
ss -tan | grep 8282                # the old connection waits in TIME-WAIT (about 60 s)
"""


def printed(program):
    return normalize_lines(program.stdout().decode("utf-8", "replace"))


def find_in_order(lines, wanted):
    """Index of the first wanted line that is missing (in order), or None when all are there."""
    at = 0
    for k, line in enumerate(wanted):
        try:
            at = lines.index(line, at) + 1
        except ValueError:
            return k
    return None


def wait_printed(program, wanted, timeout=3.0):
    """Poll the program's output until the wanted lines appear in order (or it exits, or the deadline)."""
    return poll(lambda: find_in_order(printed(program), wanted) is None or not program.running(), timeout) \
        and find_in_order(printed(program), wanted) is None


@pytest.mark.points(2)
@pytest.mark.budget(10)
def test_startup_lines(lab):
    """It prints `Old sock state: 0`, `New sock state: 1` and `Listening on port: 8282`, in this order."""
    program = timewait.start_server(lab)
    if wait_printed(program, STARTUP):
        return
    lines = printed(program)
    missing = STARTUP[find_in_order(lines, STARTUP)]
    label = missing.split(":")[0] + ":"
    instead = [line for line in lines if line.startswith(label)]
    detail = f" It printed {instead[0]!r} instead." if instead else ""
    if missing.startswith("New sock state"):
        detail += (" The new state is getsockopt(SOL_SOCKET, SO_REUSEADDR) read again *after* "
                   "setsockopt(SOL_SOCKET, SO_REUSEADDR, 1): Linux reports 1.")
    output = shorten("\n".join(lines).encode(), 300)
    raise CheckFailed(f"Expected the line {missing!r} (after the lines before it in {STARTUP}).{detail}\n"
                      f"The server printed: {output}")


@pytest.mark.points(2)
@pytest.mark.budget(15)
def test_connected_by(lab):
    """For each client it prints `Connected by 127.0.0.1:P`, P being that client's own port (two clients)."""
    program = timewait.start_server(lab)
    for name in ("client 1", "client 2"):
        if not program.running():
            raise CheckFailed(f"The server exited before {name} could connect; it must keep accepting clients "
                              f"until it is interrupted.\nIts stderr ends with:\n{program.stderr_tail()}")
        client = lab.connect(name)
        expected = f"Connected by 127.0.0.1:{client.local_port}"
        if wait_printed(program, [expected]):
            continue
        shown = [line for line in printed(program) if line.startswith("Connected")]
        detail = f" It printed {shown[-1]!r}." if shown else " It printed no 'Connected by' line for it."
        if shown and shown[-1].endswith(f":{lab.port}"):
            detail += f" {lab.port} is the server's own port; the client's is in the address accept() returns."
        if not program.running():
            detail += " The server had exited."
        raise CheckFailed(f"{name} connected from 127.0.0.1:{client.local_port}; expected the line "
                          f"{expected!r}.{detail}")


@pytest.mark.points(4)
@pytest.mark.budget(30)
def test_restart(lab):
    """Stopped while clients are connected (its port left in TIME_WAIT), the server starts again at once and accepts."""
    lab.hint = RESTART_HINT
    states = timewait.arm(lab)
    lab.note(f"port {lab.port} now shows {', '.join(sorted(states))}; a bind() without SO_REUSEADDR fails "
             "with EADDRINUSE; starting the server again")
    second = lab.start()
    lab.watch_server(second)  # a crash is reported with its stderr, as for lab.server()
    # The 2 s restart window is counted from proof that the program runs its own code (it has
    # printed something, which it does after socket() and before bind()), not from the
    # launch: under load the interpreter's start-up alone can take longer than 2 s, and that
    # is not the student's fault. Start-up gets the budget every start gets (5 s).
    started = poll(lambda: second.stdout() or not second.running(), 5.0)
    lab.note("the second run has started printing; from now it has 2 s to listen" if started else
             "the second run printed nothing within 5 s; it has 2 s more to listen")
    try:
        wait_until_listening(second, lab.port, timeout=2.0)
    except (ProgramCrashed, CheckTimeout) as exc:
        # a crash's stderr (e.g. "Address already in use") is shown once, by the plugin's early-exit report
        what = str(exc).splitlines()[0] if isinstance(exc, ProgramCrashed) else str(exc)
        raise CheckFailed(
            f"The server was stopped while clients were connected, so its old connections wait in TIME_WAIT "
            f"on port {lab.port} for about a minute. Started again, it could not listen within 2 s:\n{what}\n"
            "Set SO_REUSEADDR on the listening socket *before* bind(): "
            "sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1).") from None
    client = lab.connect("client 3")
    timewait.wait_accepted(second, lab.port, client, timeout=2.0)
