"""Generated classes of submissions with known truth, for the benchmark and the batch tests.

Every submission is a copy of the reference or of a known-bad variant with the
student's number appended as a comment, so no two are byte-identical (as in a
real class) and nothing can be shortcut by content.
"""

from __future__ import annotations

from pathlib import Path

from grader.labs import load_lab

REPO = Path(__file__).resolve().parent.parent
TCP_ECHO = REPO / "assignments" / "tcp_echo"
TCP_ECHO_EXAMPLES = REPO / "examples" / "tcp_echo"

# Two ways to hang: listening without ever accepting, and accepting without ever answering.
HANGS = {
    "never_accepts": b"""import socket, time
s = socket.socket()
s.bind(("", 9000))
s.listen(5)
while True:
    time.sleep(60)  # listening, but never accepts
""",
    "never_replies": b"""import socket
s = socket.socket()
s.bind(("", 9000))
s.listen(5)
while True:
    conn, addr = s.accept()
    while conn.recv(4096):
        pass  # reads everything, echoes nothing
    conn.close()
""",
}
_VARIANTS = load_lab(TCP_ECHO).variants
TCP_ECHO_BAD = tuple(sorted(v.name for v in _VARIANTS if not v.good))
TCP_ECHO_GOOD = tuple(sorted(v.name for v in _VARIANTS if v.good))
CORRECT_KINDS = ("reference", *TCP_ECHO_GOOD)


def tcp_echo_source(kind: str, n: int) -> bytes:
    """`reference`, a variant's name, a key of HANGS, or `example:<student>`."""
    if kind == "reference":
        text = (REPO / "reference" / "tcp_echo" / "echo_server.py").read_bytes()
    elif kind in HANGS:
        text = HANGS[kind]
    elif kind.startswith("example:"):
        text = (TCP_ECHO_EXAMPLES / kind.split(":", 1)[1] / "echo_server.py").read_bytes()
    else:
        text = (TCP_ECHO / "variants" / kind / "echo_server.py").read_bytes()
    return text + f"\n# student {n}\n".encode()


def write_class(root: Path, kinds: list[str], *, file: str = "echo_server.py",
                source=tcp_echo_source) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """One folder per student under root; {student: kind}."""
    students = {}
    for n, kind in enumerate(kinds):
        name = f"student{n:03d}"
        (root / name).mkdir(parents=True)
        (root / name / file).write_bytes(source(kind, n))
        students[name] = kind
    return students


def mixed_kinds(size: int) -> list[str]:
    """70 % correct (the reference and the known-good variants in turn, the styles students write), 30 % wrong
    (every known-bad variant and both hangs), in a fixed shuffled order."""
    wrong = [*TCP_ECHO_BAD, *HANGS]
    n_wrong = round(size * 0.3)
    kinds = ([CORRECT_KINDS[i % len(CORRECT_KINDS)] for i in range(size - n_wrong)]
             + [wrong[i % len(wrong)] for i in range(n_wrong)])
    return [kinds[(i * 37) % size] for i in range(size)] if size % 37 else kinds


def tcp_echo_class(root: Path, size: int = 100) -> dict[str, str]:
    """{student: "correct" | "wrong"} for a mixed tcp_echo class written under root."""
    kinds = write_class(root, mixed_kinds(size))
    return {s: "correct" if k in CORRECT_KINDS else "wrong" for s, k in kinds.items()}


def hello_class(root: Path, size: int) -> dict[str, str]:
    """A class of quick, correct hello submissions (for memory and scaling)."""
    reference = (REPO / "reference" / "hello" / "hello_server.py").read_bytes()
    kinds = write_class(root, ["reference"] * size, file="hello_server.py",
                        source=lambda _k, n: reference + f"\n# student {n}\n".encode())
    return {s: "correct" for s in kinds}
