"""`LabSession`: what a check gets from the `lab` fixture.

The check writer's API (everything else on the object is the harness's own):

    the lab          lab.port, lab.file, lab.source_path(file=None), lab.setting(key, default),
                     lab.host_address(name), lab.hosts_redirected, lab.isolated
    its program      lab.server(args), lab.start(args, stdin, file), lab.run(args, stdin, timeout, file),
                     lab.finish(program, timeout), lab.watch_server(program), lab.last_program()
    our side         lab.connect(name), lab.adopt(connection), lab.connections(), lab.last_connection(),
                     lab.fake(server), lab.last_fake(), lab.transcript (hand it to a fake server)
    the sandbox      lab.set_sysctl(name, value)
    feedback         lab.note(text), lab.hint = "how to try this by hand"

One LabSession per check. It starts the student's program (afresh for every check),
opens scripted connections and fake servers, keeps the transcript, and tears
everything down at the end, in the order that leaves no socket state behind
(harness.leftovers lists every source):

  1. every harness client aborts (RST): Conversations, and raw sockets a probe
     made and left open, *before* any program is stopped, so no end of theirs
     is left in FIN_WAIT or TIME_WAIT on the lab's port;
  2. programs are stopped (everything they started dies with them);
  3. fake servers close, and whatever socket of theirs is still open aborts;
  4. without a private network namespace per check (Docker, the fallback,
     Gradescope): what is still on the lab's port is removed (TIME_WAIT),
     killed (an orphan that left the process group) or waited for, with a
     deadline. The next check's `begin` demands a clean port.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any, Literal

from harness import leftovers, netns, never_ready, procfs, stall
from harness.conversation import Conversation
from harness.fakes import FakeServer
from harness.labspec import LabSpec
from harness.launch import Containment, StudentProgram, describe_exit
from harness.outcomes import CheckFailed, CheckTimeout, HarnessError, ProgramCrashed
from harness.readiness import BUDGET, wait_until_listening
from harness.transcript import Transcript

# The buffer sysctls set_sysctl can stand in for, and which buffer each caps.
_BUFFER_SYSCTLS = {"net.ipv4.tcp_wmem": "sndbuf", "net.ipv4.tcp_rmem": "rcvbuf"}
_SOCKOPT = {"sndbuf": socket.SO_SNDBUF, "rcvbuf": socket.SO_RCVBUF}  # also Conversation's keyword names


class LabSession:
    def __init__(self, spec: LabSpec, *, submission: Path, out_dir: Path,
                 containment: Containment, isolated: bool, proofs: never_ready.Proofs | None = None,
                 check: str = "") -> None:
        self.spec = spec
        self.submission = submission
        self.out_dir = out_dir
        self.containment = containment
        self.isolated = isolated  # own network namespace: sysctls may be set
        self.hosts_redirected = True  # the lab's `hosts:` names lead to our fake servers
        self.resolved: dict[str, tuple[str, int]] = {}  # else: names the program's resolver is told (serve_host)
        self.tcp_buffers: dict[str, int] = {}  # buffer sysctls stood in for by fixed sizes (set_sysctl's emulate)
        self.transcript = Transcript()
        self.programs: list[StudentProgram] = []
        self.servers: set[int] = set()  # ids of programs started as servers
        self.listened: set[int] = set()  # ids of servers seen listening: only they can be seen dropping the port
        self.conversations: list[Conversation] = []
        self.fakes: list[FakeServer] = []
        self.hint = ""  # a check may set a specific way to try it by hand
        self.early_exits: list[str] = []
        self.began = leftovers.now()
        self.leftovers: list[leftovers.Leftover] = []  # what teardown could not remove from the port
        self.check = check
        self.proofs = proofs if proofs is not None else never_ready.Proofs()  # shared by the run's checks
        self.sysctls: dict[str, str] = {}
        self.replayed: list[str] = []  # early-exit notes of a start that was not repeated (never_ready)
        self._found: never_ready.Proof | None = None

    @property
    def shared_port(self) -> int | None:
        """The lab's TCP port, when one network namespace serves every check (no fresh one each)."""
        return self.spec.port if self.spec.port and self.spec.protocol == "tcp" and not self.isolated else None

    def begin(self) -> None:
        """Before the check: in a shared namespace the lab's port must be clean (else HarnessError)."""
        self.began = leftovers.now()
        if self.shared_port is not None:
            leftovers.ensure_clean(self.shared_port)
        if self.isolated:
            # What Docker sets for the whole container (assignment.yml `sysctls:`), this check's own
            # namespace gets too, before anything runs: one score in both. (buffer_size's hard-coded
            # numbers matched the kernel default here and lost before_value in Docker only.)
            for name, value in self.spec.sysctls.items():
                netns.set_sysctl(name, value)

    @property
    def port(self) -> int:
        """The lab's port (assignment.yml `port:`)."""
        assert self.spec.port is not None, f"lab {self.spec.name} has no port"
        return self.spec.port

    @property
    def file(self) -> str:
        """The file the student hands in (assignment.yml `file:`), e.g. "echo_server.py"."""
        return self.spec.file

    def source_path(self, file: str | None = None) -> Path:
        """Where the student's `file` (default: the lab's own) is, to read it (not run it)."""
        return self.submission / (file or self.spec.file)

    def setting(self, key: str, default: Any = None) -> Any:
        """A lab-specific key of assignment.yml (one the harness itself does not read)."""
        return self.spec.extra.get(key, default)

    def host_address(self, name: str) -> str:
        """The IP address assignment.yml's `hosts:` gives `name` (a fake server binds it)."""
        try:
            return self.spec.hosts[name]
        except KeyError:
            raise HarnessError(f"lab {self.spec.name}: assignment.yml has no hosts: entry for {name}") from None

    def serve_host(self, name: str, port: int) -> None:
        """A fake server plays `name` on (host_address(name), port): where /etc/hosts could not be
        pointed at it, the programs started from now on resolve `name` there (harness.student_shim)."""
        if self.hosts_redirected:
            return
        self.resolved[name] = (self.host_address(name), port)
        self.note(f"this sandbox cannot redirect {name} in /etc/hosts, so the program's resolver is told "
                  f"that {name} is {self.host_address(name)} and its server port {port}")

    # ---- the student's program --------------------------------------------
    def start(self, args: list[str] | tuple[str, ...] = (), stdin: bytes | Path | None = None,
              file: str | None = None) -> StudentProgram:
        """Start the student's program (`file`: another of the lab's files, default the lab's own)."""
        program = StudentProgram(
            file=file or self.spec.file, args=list(args), cwd=self.submission, out_dir=self.out_dir,
            containment=self.containment, transcript=self.transcript, stdin=stdin,
            label="program" if not self.programs else f"program #{len(self.programs) + 1}", resolve=self.resolved,
            tcp_buffers=self.tcp_buffers)
        self.programs.append(program)
        return program.start()

    def server(self, args: list[str] | tuple[str, ...] = (), timeout: float = 5.0) -> StudentProgram:
        """Start the student's server and wait until it listens on the lab's port.

        If an earlier check proved that this very start never gets there
        (harness.never_ready), fail at once the way that check did.
        """
        key = self._start_key(args)
        proof = self.proofs.get(key, timeout)
        if proof is not None:
            self._replay(proof, timeout)
        program = self.start(args)
        self.servers.add(id(program))
        try:
            wait_until_listening(program, self.port, self.spec.protocol, timeout, check=self.check)
        except CheckFailed as exc:
            if isinstance(exc.proof, never_ready.Proof) and self._trusted(exc.proof):
                self._found = exc.proof
                self.proofs.add(key, exc.proof)
            raise
        self.listened.add(id(program))
        return program

    def _start_key(self, args: list[str] | tuple[str, ...]) -> tuple[object, ...]:
        """Everything of a start's surroundings that could change how the program starts."""
        return (self.spec.file, tuple(args), tuple(sorted(self.sysctls.items())),
                tuple(type(f).__name__ for f in self.fakes), frozenset(procfs.states_on_port(self.port)))

    def _trusted(self, proof: never_ready.Proof) -> bool:
        # On the machine's own loopback (the fallback), another program of the machine may take
        # the port between our check that it is clean and the student's bind: no proof then.
        shared = not self.isolated and self.containment.mode == "group"
        return not (proof.kind == "exited" and shared and "Address already in use" in proof.message)

    def _replay(self, proof: never_ready.Proof, timeout: float) -> None:
        self.note(f"{self.spec.file} was not started again: in the check '{proof.check}' the same start "
                  f"{'exited' if proof.kind == 'exited' else 'never got to listen'}, and /proc showed that it "
                  f"would every time (set {never_ready.FAIL_FAST_VAR}=0 to start it anyway)")
        if proof.died_early:
            self.replayed.append(proof.died_early)
        error = ProgramCrashed if proof.kind == "exited" else CheckTimeout
        raise error(proof.message.replace(BUDGET, f"{timeout:g}"))

    def run(self, args: list[str] | tuple[str, ...] = (), stdin: bytes | Path | None = None,
            timeout: float = 5.0, file: str | None = None) -> StudentProgram:
        """Run the student's client to completion (CheckTimeout if it does not finish)."""
        return self.finish(self.start(args, stdin, file), timeout)

    def watch_server(self, program: StudentProgram) -> StudentProgram:
        """Treat a program started with start() as a server: if it dies during the check,
        the feedback says so with its stderr (lab.server() does this itself)."""
        self.servers.add(id(program))
        return program

    def last_program(self) -> StudentProgram | None:
        """The program started last in this check, or None."""
        return self.programs[-1] if self.programs else None

    def program_notes(self) -> list[str]:
        """What the programs' own observers noticed (an OOM kill, output past the cap)."""
        return [note for program in self.programs for note in program.notes()]

    def finish(self, program: StudentProgram, timeout: float = 5.0) -> StudentProgram:
        """Wait for a started program to exit (CheckTimeout if it does not within timeout)."""
        code = program.wait(timeout)
        if code is None:
            out = program.stdout().decode("utf-8", "replace")
            program.stop()
            raise CheckTimeout(
                f"`{program.command}` was still running after {timeout:g} s.\n"
                f"It printed so far: {out[-400:]!r}\nIts stderr ends with:\n{program.stderr_tail()}")
        self.transcript.note(program.label, f"exited with status {code}")
        return program

    # ---- the harness's side ------------------------------------------------
    def connect(self, name: str = "client", port: int | None = None, **kw: Any) -> Conversation:
        """A scripted TCP client to the lab's port (harness.conversation), aborted at teardown."""
        for kind, size in self.tcp_buffers.items():  # as the program's sockets (set_sysctl's emulate)
            kw.setdefault(kind, size // 2)  # Linux doubles what it is given
        return self.adopt(Conversation(port or self.port, self.transcript, name=name, **kw))

    def adopt(self, connection: Conversation) -> Conversation:
        """A connection made by other means (a quiet client, a UDP peer): teardown aborts it too."""
        self.conversations.append(connection)
        if isinstance(connection, Conversation) and connection.stall is None:
            connection.stall = lambda until: self._stall_proof(connection, until)
        return connection

    def _stall_proof(self, connection: Conversation, until: float) -> str | None:
        """Proof that none of this check's servers can send `connection` anything before `until`
        (harness.stall); None without a server, or when one of them might."""
        servers = [p for p in self.programs if id(p) in self.servers and p.running()]
        pids = [pid for program in servers for pid in program.pids()]
        return stall.proof(pids, connection, until) if servers else None

    def connections(self) -> tuple[Conversation, ...]:
        """Every connection of this check, in the order they were made."""
        return tuple(self.conversations)

    def last_connection(self) -> Conversation:
        """The connection made last (HarnessError if none was)."""
        if not self.conversations:
            raise HarnessError("the check made no connection yet")
        return self.conversations[-1]

    def fake(self, server: FakeServer) -> FakeServer:
        """Start a fake server (harness.fakes and friends); it stops at teardown."""
        self.fakes.append(server)
        return server.start()

    def last_fake(self) -> FakeServer:
        """The fake server started last (HarnessError if none was)."""
        if not self.fakes:
            raise HarnessError("the check started no fake server yet")
        return self.fakes[-1]

    def set_sysctl(self, name: str, value: str, *, emulate: Literal["max", "default"] | None = None) -> bool:
        """Only inside a private network namespace, or if the sandbox preset it (Docker's
        sysctls=, from assignment.yml `sysctls:`); False (and a note) elsewhere.

        emulate: where a TCP buffer sysctl (net.ipv4.tcp_wmem / tcp_rmem) cannot be set, the
        programs started from now on (harness.student_shim), this check's lab.connect() clients
        and lab.tcp_socket() get buffers fixed at one of its values instead, and this returns True:
        "max" where a check needs full buffers (a certain partial send; autotuning reaches the max
        within the first round trip on loopback), "default" where it reads a fresh socket's size
        back (buffer_size)."""
        self.sysctls[name] = value
        ok = " ".join((netns.get_sysctl(name) or "").split()) == " ".join(value.split()) or (self.isolated and netns.set_sysctl(name, value))
        kind = _BUFFER_SYSCTLS.get(name) if emulate and not ok else None
        if kind is not None:
            self.tcp_buffers[kind] = int(value.split()[2 if emulate == "max" else 1])
            self.transcript.note("harness", f"sysctl {name}={value}: not available here; instead every TCP socket "
                                            f"of the program and of the harness gets a fixed {kind} "
                                            f"(SO_{kind.upper()}) of "
                                            f"{self.tcp_buffers[kind]} bytes, its {emulate}")
            return True
        self.transcript.note("harness", f"sysctl {name}={value}: {'set' if ok else 'not available here'}")
        return ok

    def tcp_socket(self) -> socket.socket:
        """A fresh TCP socket of the harness's, with the buffer sizes the program's sockets start with
        (set_sysctl's emulate), to ask the kernel what the program will see."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        for kind, size in self.tcp_buffers.items():
            sock.setsockopt(socket.SOL_SOCKET, _SOCKOPT[kind], size // 2)
        return sock

    def note(self, text: str) -> None:
        """A line of the check's transcript ("What happened:" in the feedback)."""
        self.transcript.note("harness", text)

    def died_early(self) -> list[str]:
        """Feedback for servers that exited during the check (before we stopped them)."""
        out = []
        for program in self.programs:
            if id(program) in self.listened and not program.stopped and program.poll() is None \
                    and _exiting(program, self.spec.port, self.spec.protocol):
                # A crash's FIN or RST reaches the client while the process still prints its traceback or
                # exits: wait for it (bounded, and only then), or whether the feedback shows the traceback
                # would depend on scheduling.
                program.wait(1.0)
            if id(program) in self.servers and program.poll() is not None and not program.stopped:
                out.append(f"The server {describe_exit(program.poll() or 0)} during the check. "
                           f"Its stderr ends with:\n{program.stderr_tail()}")
        return out

    def teardown(self) -> None:
        """Stop everything, in the order of the module docstring."""
        self.early_exits = self.replayed + self.died_early()
        if self._found is not None and self._found.kind == "exited":
            self._found.died_early = "\n\n".join(self.early_exits)
        for conv in self.conversations:
            try:
                conv.abort()
            except OSError:
                pass
        if self.spec.port:
            leftovers.abort_harness_sockets(self.spec.port, clients_only=True)
        for program in self.programs:
            program.stop()
        for fake in self.fakes:
            fake.stop()
        if self.spec.port:
            leftovers.abort_harness_sockets(self.spec.port, clients_only=False)
        port = self.shared_port
        if port is not None:
            orphans_since = self.began if self.containment.mode == "group" else None
            self.leftovers = leftovers.clear(port, since=orphans_since)
            if self.leftovers:
                self.note(f"port {port} still holds {'; '.join(map(str, self.leftovers[:5]))} after the check")


def _exiting(program: StudentProgram, port: int | None, protocol: str) -> bool:
    """Every process of the program is on its way out: gone, a zombie, or no longer holding a socket
    bound to the lab's port (a server keeps its listener while it lives; a crashed one has dropped it
    while Python still prints its traceback). An unreadable fd table is no evidence."""
    if not port:
        return False
    protos = ("udp", "udp6") if protocol == "udp" else ("tcp", "tcp6")
    states = None if protocol == "udp" else ("LISTEN",)
    bound = {row.inode for row in procfs.socket_rows(protos, local_port=port, states=states)}

    def leaving(pid: int) -> bool:
        fields = procfs.stat_fields(pid)
        if fields is None or fields[0] in ("Z", "X"):
            return True
        held = procfs.socket_inodes_seen(pid)
        return held is not None and not held & bound
    return all(leaving(pid) for pid in program.pids())
