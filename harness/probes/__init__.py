"""The probe vocabulary: scripted moves against a student's echo-like server.

A lab's checks.py calls these as one-line scripts (tcp_echo, select_echo,
threaded_echo, forking_echo all use them), so a fix to a move lands in every
lab that uses it.

THE RULE. A check that fails a program makes the failure certain, not
probable: where a bug only shows when the kernel schedules one way, the check
first arranges that schedule with /proc proof, then judges. (Examples: the
server has read the FIN and its receive queue is empty; it still holds the
connection when the RST arrives; its bytes sit unread while its only thread
is blocked on another socket.) Deadlines bound only the failure path; a
correct server passes as soon as the condition holds. Each formerly racy
move says in its docstring how it now avoids its race.

THE CONTRACT of a move `move(lab, ...)`:
  * it starts the server itself (`server.start_server`: lab.server(), which
    waits until it listens) and gets the pid of the process running the
    student's file from `server.server_pid` (StudentProgram.wait_main_pid);
    a server gone before it can be observed is `crashed`;
  * its clients are lab.connect() (in the transcript) or quiet_connect()
    (bulk clients, summarised by a note), all aborted at teardown;
  * one outcome policy: `failed` (CheckFailed) when the program did
    something the lab forbids, seen on the wire (wrong, missing or extra
    bytes, an early close, an exit) or proved by /proc; `timeout`
    (CheckTimeout) only when a single client, the server alive, got nothing
    more by the deadline and /proc shows no cause; in concurrency and census
    moves a client left unserved is always `failed` (the witness is logical);
    `error` (HarnessError) only when our own precondition broke. Any OSError
    on a harness socket caused by the program becomes CheckFailed.
  * its failure message stands on its own: what was sent, what was expected,
    what came back (first differing offset), and what /proc showed.

Modules, by concept: server (start, pid, /proc proofs), echo (echo moves and
await_echo), transfer (a duplex megabyte transfer), eof_reset (FIN, the echo
still owed, RST), concurrency (idle client, many clients), observers
(threads, children, descriptors), source (reading the submission).
"""

from harness.probes.concurrency import idle_client, many_clients
from harness.probes.echo import (
    all_byte_values,
    await_echo,
    clients_in_turn,
    echo_bytewise,
    echo_large,
    echo_no_newline,
    echo_several,
    echo_short,
)
from harness.probes.eof_reset import (
    server_closes,
    shutdown_flush,
    shutdown_flush_backlogged,
    slow_reader,
    small_kernel_buffers,
    survives_reset,
)
from harness.probes.observers import descriptors_return, no_zombies, parent_closes, single_thread_census, threads_end
from harness.probes.server import quiet_connect, server_pid, start_server
from harness.probes.source import discarded_send_calls, send_count_used

__all__ = [
    "all_byte_values", "await_echo", "clients_in_turn", "descriptors_return", "discarded_send_calls",
    "echo_bytewise", "echo_large", "echo_no_newline", "echo_several", "echo_short", "idle_client",
    "many_clients", "no_zombies", "parent_closes", "quiet_connect", "send_count_used", "server_closes",
    "server_pid", "shutdown_flush", "shutdown_flush_backlogged", "single_thread_census", "slow_reader",
    "small_kernel_buffers", "start_server", "survives_reset", "threads_end",
]
