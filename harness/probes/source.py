"""Reading the submission's source instead of running it (labs.md: select_echo's send() count)."""

from __future__ import annotations

import ast

from harness.outcomes import CheckFailed
from harness.session import LabSession


def discarded_send_calls(source: str) -> list[tuple[int, str]]:
    """(line, code) of every statement that calls `<something>.send(...)` and drops the result.

    That is an expression statement whose value is a call (possibly awaited) to
    an attribute named `send`. `sendall` is not `send`; a result that is
    assigned, returned or compared counts as used. Raises SyntaxError.
    """
    tree = ast.parse(source)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Expr):
            continue
        value = node.value.value if isinstance(node.value, ast.Await) else node.value
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "send":
            code = ast.get_source_segment(source, node) or ast.unparse(node)
            found.append((node.lineno, code.splitlines()[0].strip()))
    return sorted(found)


def send_count_used(lab: LabSession) -> None:
    """Fail (with line numbers) when the submission discards the count returned by a send() call."""
    path = lab.source_path()
    try:
        source = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise CheckFailed(f"cannot read {lab.file}: {exc.strerror}") from None
    try:
        calls = discarded_send_calls(source)
    except SyntaxError as exc:
        raise CheckFailed(f"{lab.file} does not parse (line {exc.lineno}): {exc.msg}") from None
    lab.note(f"read {lab.file} with Python's ast module: {len(calls)} send() call(s) whose result is dropped")
    if calls:
        where = "\n".join(f"  line {line}: {code}" for line, code in calls)
        raise CheckFailed(
            f"{lab.file} calls send() and ignores the number it returns:\n{where}\n"
            "send() on a non-blocking socket may write only part of the buffer and returns how many bytes it took. "
            "Keep the rest queued (e.g. `sent = sock.send(queue); del queue[:sent]`) and send it when select() "
            "reports the socket writable again. (sendall() does not return a count, but it blocks: not for a "
            "non-blocking server.)")
