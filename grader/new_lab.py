"""`grader new-lab NAME --kind server|client`: a lab that passes `grader selftest NAME` at once.

    ROOT/assignments/NAME/assignment.yml          name, kind, file, port, variants, try_by_hand
    ROOT/assignments/NAME/README.md               the handout's skeleton
    ROOT/assignments/NAME/checks.py               one working check (pytest + the `lab` fixture)
    ROOT/assignments/NAME/variants/<bad>/FILE     a known-bad program that fails that check
    ROOT/reference/NAME/FILE                      a working reference solution

The example protocol is the smallest one that still teaches the lesson of
every socket lab (a recv() is not a message): the client sends a name and a
newline, the server answers `Hello, NAME!` and a newline, more than once per
connection. The server lab's checks play the client; the client lab's checks
play the server with a fake server (harness.fakes.FakeServer).

ROOT is --root, else $SOCKLAB_LABS, else the current folder. Labs outside the
grader's own data folder are found through $SOCKLAB_LABS (grader.labs).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from string import Template

import yaml

from grader.errors import UsageError
from grader.labs import all_labs
from grader.paths import LABS_ENV, data_root, extra_labs_root

NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


@dataclass(frozen=True, slots=True, kw_only=True)
class NewLab:
    files: list[Path]
    next_step: str


# --------------------------------------------------------------------------- server lab

SERVER_YML = """\
# The lab's description: `grader` reads it (docs/writing-a-lab.md explains every key).
name: $name
title: $title
kind: server
file: $file
port: $port
protocol: tcp
summary: Answer every line NAME a client sends with the line "Hello, NAME!".
try_by_hand: |
  python3 $file                  # terminal 1
  nc 127.0.0.1 $port                # terminal 2: type a name and Enter; Ctrl-D closes
# Known-bad variants (variants/<name>/$file): `grader selftest $name` proves each one
# fails the check it names, and that reference/$name/$file passes every check.
variants:
  one_line_per_connection:
    fails: greets_each_line
    why: answers the first line, then closes the connection
"""

SERVER_CHECKS = '''\
"""Checks for $name: $file, a TCP server on port $port.

Each check starts the student's program afresh (in its own network namespace),
talks to it as one or more clients over real sockets, and compares bytes exactly.
A check is a pytest function `test_<check>(lab)`; its docstring's first line is
what students see, and a failure message says what was sent, expected and received.
"""

import pytest


@pytest.mark.points(2)
@pytest.mark.budget(10)
def test_greets_each_line(lab):
    """Two names on one connection: each gets its greeting line."""
    lab.server()  # starts $file and waits until it listens on port $port
    client = lab.connect("client")
    for name in (b"Ada", b"Grace Hopper"):
        client.send(name + b"\\n")
        client.expect(b"Hello, " + name + b"!\\n", what=f" (the greeting for {name.decode()})")
'''

SERVER_REFERENCE = '''\
"""Reference solution for $name: greet every line a client sends."""

import socket

HOST, PORT = "localhost", $port


def serve(conn):
    pending = b""
    while True:
        data = conn.recv(4096)
        if not data:
            return
        pending += data
        while b"\\n" in pending:  # one recv() may hold part of a line, or several lines
            line, pending = pending.split(b"\\n", 1)
            conn.sendall(b"Hello, " + line.rstrip(b"\\r") + b"!\\n")


def main():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((HOST, PORT))
        server.listen()
        while True:
            conn, _ = server.accept()
            with conn:
                try:
                    serve(conn)
                except ConnectionError:
                    pass  # the client went away: serve the next one


if __name__ == "__main__":
    main()
'''

SERVER_BAD = '''\
"""Known-bad: answers the first line of a connection, then closes it."""

import socket

with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("localhost", $port))
    server.listen()
    while True:
        conn, _ = server.accept()
        with conn:
            line = conn.recv(4096).split(b"\\n")[0]
            conn.sendall(b"Hello, " + line + b"!\\n")
'''

# --------------------------------------------------------------------------- client lab

CLIENT_YML = """\
# The lab's description: `grader` reads it (docs/writing-a-lab.md explains every key).
name: $name
title: $title
kind: client
file: $file
port: $port
protocol: tcp
summary: Send the name given on the command line to the greeting server and print its answer.
try_by_hand: |
  python3 -c "import socketserver as s; s.TCPServer.allow_reuse_address = True; \\
  s.TCPServer(('127.0.0.1', $port), type('G', (s.StreamRequestHandler,), {'handle': lambda h: h.wfile.write(b'Hello, ' + h.rfile.readline().strip() + b'!\\\\n')})).serve_forever()" &
  python3 $file Ada                 # should print: Hello, Ada!
variants:
  prints_bytes:
    fails: prints_greeting
    why: print(data) shows the bytes object (b'Hello, Ada!\\n') instead of the text
"""

CLIENT_CHECKS = '''\
"""Checks for $name: $file, a TCP client of the greeting server on port $port.

The harness plays the server (a FakeServer in this file) on localhost:$port inside
the check's own network namespace, runs the student's client with arguments, and
judges what the server received and what the client printed.
"""

import pytest

from harness.compare import describe_bytes_mismatch
from harness.fakes import FakeServer, read_line
from harness.outcomes import CheckFailed


class GreetingServer(FakeServer):
    """Reads one line, answers "Hello, <line>!" in two pieces (so one recv() is not enough), closes."""

    name = "greeting server"

    def __init__(self, port, transcript):
        super().__init__(port, transcript)
        self.lines = []

    def serve(self, conn):
        line = read_line(conn, bytearray())
        if line is None:
            self.transcript.note(self.name, "the client closed without sending a line")
            return
        self.lines.append(line)
        self.transcript.received(self.name, line)
        answer = b"Hello, " + line.rstrip(b"\\r\\n") + b"!\\n"
        for piece in (answer[:4], answer[4:]):
            conn.sendall(piece)
            self.transcript.sent(self.name, piece)


@pytest.mark.points(2)
@pytest.mark.budget(10)
def test_prints_greeting(lab):
    """The client sends its argument as one line and prints the server's answer exactly."""
    server = lab.fake(GreetingServer(lab.port, lab.transcript))
    program = lab.run(["Ada"], timeout=5)  # python3 $file Ada, to completion
    if server.lines != [b"Ada\\n"]:
        raise CheckFailed(f"The server expected the line b'Ada\\\\n' and received {server.lines!r}.")
    problem = describe_bytes_mismatch(b"Hello, Ada!\\n", program.stdout())
    if problem:
        raise CheckFailed(f"Standard output must be exactly the server's answer.\\n{problem}")
'''

CLIENT_REFERENCE = '''\
"""Reference solution for $name. Usage: $file NAME"""

import socket
import sys

HOST, PORT = "localhost", $port


def main():
    name = sys.argv[1] if len(sys.argv) > 1 else "world"
    with socket.create_connection((HOST, PORT)) as sock:
        sock.sendall(name.encode() + b"\\n")
        answer = b""
        while not answer.endswith(b"\\n"):  # the answer may come in several pieces
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    sys.stdout.write(answer.decode())


if __name__ == "__main__":
    main()
'''

CLIENT_BAD = '''\
"""Known-bad: prints the bytes object instead of the text."""

import socket
import sys

with socket.create_connection(("localhost", $port)) as sock:
    sock.sendall(sys.argv[1].encode() + b"\\n")
    answer = b""
    while not answer.endswith(b"\\n"):
        chunk = sock.recv(4096)
        if not chunk:
            break
        answer += chunk
print(answer)
'''

HANDOUT = """\
# $title

*Handout skeleton made by `grader new-lab`: rewrite it for your students.*

## What to build

$what

Name your file **`$file`**. $where

## How it is checked

`grader check $name FOLDER` runs these checks (the same ones as the final grading,
minus hidden ones):

| check | points | what it does |
| --- | --- | --- |
$table

## Try it by hand

```
$try_by_hand
```
"""

KINDS = {
    "server": {"yml": SERVER_YML, "checks": SERVER_CHECKS, "reference": SERVER_REFERENCE, "bad": SERVER_BAD,
               "variant": "one_line_per_connection", "file": "server.py",
               "what": "A TCP server that answers every line `NAME` a client sends with the line "
                       "`Hello, NAME!`, for as many lines as the client sends on one connection.",
               "where": "It listens on `localhost`, port $port, and serves one client after another.",
               "table": "| greets_each_line | 2 | two names on one connection, each answered |"},
    "client": {"yml": CLIENT_YML, "checks": CLIENT_CHECKS, "reference": CLIENT_REFERENCE, "bad": CLIENT_BAD,
               "variant": "prints_bytes", "file": "client.py",
               "what": "A TCP client: `python3 $file NAME` sends `NAME` and a newline to the greeting "
                       "server and prints its one-line answer exactly as it came.",
               "where": "The server is at `localhost`, port $port; its answer may arrive in pieces.",
               "table": "| prints_greeting | 2 | sends the name, prints the answer exactly |"},
}


def destination(root: Path | None) -> Path:
    """--root, else $SOCKLAB_LABS, else the current folder."""
    return Path(root) if root is not None else (extra_labs_root() or Path.cwd())


def new_lab(name: str, *, kind: str, port: int = 9000, file: str | None = None, title: str | None = None,
            root: Path | None = None) -> NewLab:
    if not NAME.fullmatch(name):
        raise UsageError(f"lab name '{name}': expected lower case letters, digits and _ (starting with a letter)")
    if kind not in KINDS:
        raise UsageError(f"--kind {kind}: expected server or client")
    if not 1 <= port <= 65535:
        raise UsageError(f"--port {port}: expected a port number from 1 to 65535")
    template = KINDS[kind]
    file = file or str(template["file"])
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*\.py", file):
        raise UsageError(f"--file {file}: expected a Python file name such as {template['file']}")
    base = destination(root).resolve()
    lab_dir, ref_dir = base / "assignments" / name, base / "reference" / name
    for folder in (lab_dir, ref_dir):
        if folder.exists():
            raise UsageError(f"{folder} exists already: choose another name, or remove it")
    if name in all_labs() and base != data_root().resolve():
        raise UsageError(f"lab '{name}' exists already (bundled with the grader): choose another name")
    values = {"name": name, "title": title or name.replace("_", " ").capitalize(), "file": file, "port": str(port)}

    def fill(text: str) -> str:
        return Template(text).substitute(values)

    variant = str(template["variant"])
    yml = fill(str(template["yml"]))
    try_by_hand = str(yaml.safe_load(yml)["try_by_hand"])
    handout = fill(HANDOUT.replace("$what", str(template["what"])).replace("$where", str(template["where"]))
                   .replace("$table", str(template["table"])).replace("$try_by_hand", "@TRY@"))
    files = {
        lab_dir / "assignment.yml": yml,
        lab_dir / "README.md": handout.replace("@TRY@", try_by_hand.strip()),
        lab_dir / "checks.py": fill(str(template["checks"])),
        lab_dir / "variants" / variant / file: fill(str(template["bad"])),
        ref_dir / file: fill(str(template["reference"])),
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    found = base == data_root().resolve() or base == extra_labs_root()
    prefix = "" if found else f"{LABS_ENV}={_shell_path(base)} "
    return NewLab(files=list(files), next_step=(
        f"{prefix}grader selftest {name}    (the reference passes, {variant} fails); then edit "
        f"{lab_dir / 'checks.py'} and the handout. docs/writing-a-lab.md walks through a real lab."))


def _shell_path(path: Path) -> str:
    text = os.path.relpath(path) if str(path).startswith(str(Path.cwd())) else str(path)
    return text if re.fullmatch(r"[\w./-]+", text) else "'" + text.replace("'", "'\\''") + "'"
