"""Census moves: what the server is while clients come and go, from /proc.

Threads, child processes (and zombies), open descriptors, who holds a
connection. Each census is polled with a deadline that only bounds the
failure path; the clients are opened one by one and each echoed first, so
the handlers provably exist when the census is taken.
"""

from __future__ import annotations

from collections.abc import Callable

from harness import observe, procfs
from harness.conversation import Conversation
from harness.launch import StudentProgram
from harness.outcomes import CheckFailed, HarnessError
from harness.probes.concurrency import failed_not_timeout, first_clients
from harness.probes.echo import await_echo, send_or_fail
from harness.probes.eof_reset import server_closes
from harness.probes.server import quiet_connect, server_exit_note, start_server, wait_settled
from harness.session import LabSession
from harness.waiting import poll


def single_thread_census(lab: LabSession, clients: int = 20, samples: int = 7) -> None:
    """With `clients` connected (each served once): 1 thread, no child process, waiting in select/poll/epoll."""
    program, pid = start_server(lab)
    for i in range(clients):
        c = quiet_connect(lab, f"client {i + 1}")
        hello = f"client {i + 1} checks in\n".encode()
        send_or_fail(c, hello, program)
        with failed_not_timeout():
            await_echo(lab, program, pid, c, hello, what=f" (its hello; {first_clients(i)} still connected)" if i else " (its hello)",
                       others=f"{first_clients(i).capitalize()} connected and idle." if i else "")
    lab.note(f"{clients} clients are connected; each has been echoed once")
    threads = observe.thread_count(pid)
    kids = observe.children(pid)
    seen = observe.blocked_in_samples(pid, samples, 0.01)
    problems = []
    if threads is not None and threads != 1:
        problems.append(f"the server process has {threads} threads (expected exactly 1: the lab asks for one thread "
                        "that serves every client with select(), not a thread per client)")
    if kids:
        problems.append(f"the server has {len(kids)} child process(es) (expected none: no fork() per client)")
    readable_samples = [s for s in seen if s]
    waiting = [s for s in readable_samples if s in observe.WAITING_FOR_IO]
    if readable_samples and len(waiting) * 2 <= len(readable_samples):
        # Told, not charged: labs.md asks for one thread and no child here, not for an idle select().
        # A select() loop that always asks for writability (the Real Python tutorial's) spins, yet it
        # is the design the lab asks for; it lost these points before (realworld finding #3).
        lab.note(f"its main thread was mostly not waiting in select/poll/epoll while all clients were idle "
                 f"({samples} samples of /proc/{pid}/syscall: {observe.describe_samples(seen)}): a loop that "
                 "spins burns a core; ask select() for writability only while data is queued")
    if not readable_samples:
        lab.note("/proc/PID/syscall is unreadable here: the select/poll/epoll part was not checked")
    if problems:
        raise CheckFailed(f"While {clients} clients were connected, " + ";\n".join(problems) + ".")
    lab.note(f"1 thread, no child process, main thread in: {observe.describe_samples(seen)}")


def descriptors_return(lab: LabSession, connections: int = 200, batch: int = 10, timeout: float = 3.0) -> None:
    """After `connections` clients (in batches held at once) connect, echo and close, the fd count is back."""
    program, pid = start_server(lab)
    if not wait_settled(program, 2.0):
        lab.note("the server was not seen waiting in select/poll/epoll/accept before the first client")
    start = observe.fd_count(pid)
    if start is None:
        raise HarnessError(f"cannot read /proc/{pid}/fd here")
    lab.note(f"before any client: {start} open descriptors ({_kinds(pid)})")
    done = 0
    while done < connections:
        group = []
        for i in range(done, min(done + batch, connections)):
            c = quiet_connect(lab, f"client {i + 1}")
            hello = f"client {i + 1} of {connections}\n".encode()
            send_or_fail(c, hello, program)
            with failed_not_timeout():
                await_echo(lab, program, pid, c, hello, what=f" (client {i + 1} of {connections})")
            group.append(c)
        # Formerly racy: close only once the server sleeps again (as in
        # clients_in_turn), so a server whose EOF handling races its own
        # pending write fails or passes the same way every run.
        wait_settled(program)
        for c in group:
            c.close()  # FIN: the server sees EOF; TIME_WAIT stays on our side
        done += len(group)
    lab.note(f"{connections} clients connected (up to {batch} at once), each got its echo and closed (FIN)")

    def back() -> bool:
        n = observe.fd_count(pid)
        return n is not None and n <= start

    if poll(back, timeout):
        return
    now = observe.fd_count(pid)
    states = observe.socket_states(pid)
    waiting = states.get("CLOSE_WAIT", 0) + states.get("CLOSE", 0)
    advice = ""
    if waiting:
        advice = (f"\n{waiting} of its sockets belong to clients that have closed (state CLOSE_WAIT or closed): "
                  "when recv() returns b'' (or raises), remove the socket from your lists and dictionaries "
                  "*and* call close() on it.")
    raise CheckFailed(
        f"The server had {start} open descriptors before the first client. {connections} clients then connected, "
        f"were echoed and closed their side, and {timeout:g} s later it still has {now} ({_kinds(pid)}): "
        f"{(now or 0) - start} more than at the start.{advice}{server_exit_note(program)}")


def _kinds(pid: int) -> str:
    kinds = observe.fd_kinds(pid)
    return ", ".join(f"{n} {kind}{'s' if n > 1 and kind in ('socket', 'pipe', 'file') else ''}"
                     for kind, n in sorted(kinds.items())) or "none"


# ---- reading the source --------------------------------------------------------------


# ---- threads and child processes per client (threaded_echo, forking_echo) -------------------

def open_served(lab: LabSession, program: StudentProgram, n: int) -> list[Conversation]:
    """n clients, opened one by one; each gets a reply (any bytes) before the next connects.

    Any reply proves the client's handler exists, which is all a census
    needs; whether the reply is an exact echo is the echo checks' business,
    so a content bug is not charged here a second time.
    """
    clients = []
    for i in range(n):
        c = lab.connect(f"client {i + 1}")
        hello = f"hello from client {i + 1:02d}\n".encode()
        send_or_fail(c, hello, program)
        with failed_not_timeout():
            c.recv_exact(len(hello), timeout=3,
                         what=f" (any reply; {first_clients(i)} connected and served)" if i else " (any reply)")
        clients.append(c)
    return clients


def census(count: Callable[[], int | None], good: Callable[[int], bool], timeout: float) -> int | None:
    """Poll count() until good(value) holds; the last value seen (None if unreadable)."""
    seen: list[int | None] = [None]

    def ok() -> bool:
        seen[0] = count()
        return seen[0] is not None and good(seen[0])

    poll(ok, timeout)
    return seen[0]


def threads_end(lab: LabSession, clients: int = 5) -> None:
    """A thread per connected client (census rises by `clients`), and they end when the clients close."""
    program, pid = start_server(lab)
    baseline = observe.thread_count(pid) or 1
    conns = open_served(lab, program, clients)
    peak = census(lambda: observe.thread_count(pid), lambda n: n >= baseline + clients, 2.0)
    lab.note(f"threads: {baseline} before any client, {peak} with {clients} clients connected and served")
    if peak is None or peak < baseline + clients:
        raise CheckFailed(
            f"With {clients} clients connected the server had {peak} thread(s), {baseline} before any client: "
            "expected at least one more thread per connected client (threading.Thread per accept(), "
            "or socketserver.ThreadingTCPServer).")
    for c in conns:
        c.close()
    left = census(lambda: observe.thread_count(pid), lambda n: n <= baseline, 3.0)
    lab.note(f"threads after the {clients} clients closed: {left}")
    if left is None or left > baseline:
        raise CheckFailed(
            f"All {clients} clients closed their connections, but 3 s later the server still had {left} threads "
            f"(it had {baseline} before any client connected). A client's thread must return when recv() "
            "returns b'' (the client closed), and close the connection.")


def live_children(pid: int) -> list[int]:
    kids = observe.children(pid)
    dead = set(observe.zombies(kids))
    return [k for k in kids if k not in dead]


def no_zombies(lab: LabSession, clients: int = 5) -> None:
    """A child per connected client, and none left (not even a zombie) about a second after they close."""
    program, pid = start_server(lab)
    conns = open_served(lab, program, clients)
    live = census(lambda: len(live_children(pid)), lambda n: n >= clients, 2.0)
    lab.note(f"child processes with {clients} clients connected and served: {live}")
    if not live or live < clients:
        raise CheckFailed(
            f"With {clients} clients connected and served, the server had {live or 0} running child process(es): "
            "expected one child per client (os.fork() after accept(), or socketserver.ForkingTCPServer).")
    for c in conns:
        c.close()
    if not census(lambda: len(observe.children(pid)), lambda n: n == 0, 3.0):
        return
    kids = observe.children(pid)
    dead = observe.zombies(kids)
    lab.note(f"3 s after the clients closed: {len(kids)} child process(es), {len(dead)} of them zombies")
    if dead:
        raise CheckFailed(
            f"All {clients} clients closed their connections, but 3 s later {len(dead)} finished child process(es) "
            "were still zombies: the parent must collect its children with os.waitpid(-1, os.WNOHANG), "
            "for example in a SIGCHLD handler.")
    raise CheckFailed(
        f"All {clients} clients closed their connections, but 3 s later {len(kids)} child process(es) were still "
        "running: a child must exit (os._exit(0)) when its client leaves, not go back to the accept() loop.")


def parent_closes(lab: LabSession) -> None:
    """server_closes; when it fails, /proc decides whether the parent's copy is to blame.

    The property (labs.md): a client that shuts down its side sees the end of
    the connection as soon as the child closes. If the parent still holds the
    connection, that is this check's failure. If the connection has already
    ended from the server's side (its end gone or past ESTABLISHED, and no
    process of the server holds it), the parent did close its copy: a child
    that closed too early lost bytes, which the echo checks charge, not this one.
    """
    try:
        server_closes(lab)
    except CheckFailed as exc:
        if not lab.connections():
            raise  # the server never got to listen: nothing connected, nothing for /proc to decide
        client = lab.last_connection()
        last = lab.last_program()
        pid = last.main_pid() if last is not None else None
        row = client.theirs()
        if pid is not None and row is not None and row.inode in procfs.socket_inodes(pid):
            raise CheckFailed(
                f"{exc}\nThe parent process still holds the connection: after fork() the parent must "
                "close its copy of the accepted socket (conn.close()), or the client never sees the end "
                "of the stream when the child closes.") from None
        if row is None or row.state not in ("ESTABLISHED", "CLOSE_WAIT"):
            lab.note(f"the connection ended from the server's side ({row.state if row else 'gone'}) and no server "
                     f"process holds it: the parent closed its copy. (What went wrong first: {exc})")
            return
        raise
