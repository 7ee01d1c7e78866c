"""`Lab`: what a check gets from the `lab` fixture.

One Lab per check. It starts the student's program (afresh for every check),
opens scripted connections and fake servers, keeps the transcript, and tears
everything down at the end, in the order that leaves no socket state behind:
harness clients abort first (RST), then programs are stopped, then fake
servers close.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import netns
from harness.conversation import Conversation
from harness.fakes import FakeServer
from harness.launch import Containment, StudentProgram, describe_exit
from harness.outcomes import CheckTimeout
from harness.readiness import wait_until_listening
from harness.transcript import Transcript


@dataclass(slots=True)
class LabSpec:
    """The part of assignment.yml the harness needs."""

    name: str
    file: str
    kind: str  # server | client
    port: int | None = None
    protocol: str = "tcp"
    try_by_hand: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_yaml(cls, data: dict[str, Any]) -> LabSpec:
        known = {"name", "file", "kind", "port", "protocol", "try_by_hand"}
        return cls(**{k: data[k] for k in known if k in data},
                   extra={k: v for k, v in data.items() if k not in known})


class Lab:
    def __init__(self, spec: LabSpec, *, submission: Path, out_dir: Path,
                 containment: Containment, isolated: bool) -> None:
        self.spec = spec
        self.submission = submission
        self.out_dir = out_dir
        self.containment = containment
        self.isolated = isolated  # own network namespace: sysctls may be set
        self.hosts_redirected = True  # the lab's `hosts:` names lead to our fake servers
        self.transcript = Transcript()
        self.programs: list[StudentProgram] = []
        self.servers: set[int] = set()  # ids of programs started as servers
        self.conversations: list[Conversation] = []
        self.fakes: list[FakeServer] = []
        self.hint = ""  # a check may set a specific way to try it by hand
        self.early_exits: list[str] = []

    @property
    def port(self) -> int:
        assert self.spec.port is not None, f"lab {self.spec.name} has no port"
        return self.spec.port

    # ---- the student's program --------------------------------------------
    def start(self, args: list[str] | tuple[str, ...] = (), stdin: bytes | Path | None = None,
              file: str | None = None) -> StudentProgram:
        """Start the student's program (`file`: another of the lab's files, default the lab's own)."""
        program = StudentProgram(
            file=file or self.spec.file, args=list(args), cwd=self.submission, out_dir=self.out_dir,
            containment=self.containment, transcript=self.transcript, stdin=stdin,
            label="program" if not self.programs else f"program #{len(self.programs) + 1}")
        self.programs.append(program)
        return program.start()

    def server(self, args: list[str] | tuple[str, ...] = (), timeout: float = 5.0) -> StudentProgram:
        """Start the student's server and wait until it listens on the lab's port."""
        program = self.start(args)
        self.servers.add(id(program))
        wait_until_listening(program, self.port, self.spec.protocol, timeout)
        return program

    def run(self, args: list[str] | tuple[str, ...] = (), stdin: bytes | Path | None = None,
            timeout: float = 5.0, file: str | None = None) -> StudentProgram:
        """Run the student's client to completion (CheckTimeout if it does not finish)."""
        return self.finish(self.start(args, stdin, file), timeout)

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
        conv = Conversation(port or self.port, self.transcript, name=name, **kw)
        self.conversations.append(conv)
        return conv

    def fake(self, server: FakeServer) -> FakeServer:
        self.fakes.append(server)
        return server.start()

    def set_sysctl(self, name: str, value: str) -> bool:
        """Only inside a private network namespace, or if the sandbox preset it (Docker's
        sysctls=, from assignment.yml `sysctls:`); False (and a note) elsewhere."""
        ok = " ".join((netns.get_sysctl(name) or "").split()) == " ".join(value.split()) or (self.isolated and netns.set_sysctl(name, value))
        self.transcript.note("harness", f"sysctl {name}={value}: {'set' if ok else 'not available here'}")
        return ok

    def note(self, text: str) -> None:
        self.transcript.note("harness", text)

    def died_early(self) -> list[str]:
        """Feedback for servers that exited during the check (before we stopped them)."""
        out = []
        for program in self.programs:
            if id(program) in self.servers and program.poll() is not None and not program.stopped:
                out.append(f"The server {describe_exit(program.poll() or 0)} during the check. "
                           f"Its stderr ends with:\n{program.stderr_tail()}")
        return out

    def teardown(self) -> None:
        self.early_exits = self.died_early()
        for conv in self.conversations:
            try:
                conv.abort()
            except OSError:
                pass
        for program in self.programs:
            program.stop()
        for fake in self.fakes:
            fake.stop()
