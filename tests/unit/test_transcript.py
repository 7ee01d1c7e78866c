from harness.transcript import Transcript


def test_transcript_renders_in_order_with_directions():
    t = Transcript()
    t.note("program", "started")
    t.sent("client", b"hi\n")
    t.received("client", b"hi\n")
    text = t.render()
    assert text.index("started") < text.index("->") < text.index("<-")
    assert "sent 3 bytes b'hi\\n'" in text


def test_transcript_is_bounded():
    t = Transcript(limit=5)
    for i in range(100):
        t.note("x", str(i))
    assert len(t.events) == 6 and "truncated" in t.render()


def test_feedback_wraps_at_the_width_but_never_breaks_a_command() -> None:
    from grader.reports.terminal import wrapped

    text = ("The server did not echo the message within 3 s: it sent nothing back, although the client waited.\n"
            "  python3 -c \"import socket;s=socket.create_connection(('127.0.0.1',9000));s.sendall(b'x'*1048576)\"")
    lines = wrapped(text, 60).splitlines()
    assert all(len(line) <= 60 for line in lines[:-1]) and len(lines) >= 3
    assert lines[0].startswith("    The server") and lines[1].startswith("      ")  # continuation indent
    assert "socket.create_connection(('127.0.0.1',9000));s.sendall(b'x'*1048576)\"" in lines[-1]


def test_the_commands_under_try_it_yourself_stay_on_one_line_each() -> None:
    from grader.reports.terminal import wrapped

    command = "python3 -c \"import socket, os; d = os.urandom(1 << 20); s = socket.create_connection(('127.0.0.1', 9000))\""
    text = f"Try it yourself:\n  python3 echo_server.py   # terminal 1\n  {command}\n\nAfter the hint, prose wraps again at the width."
    lines = wrapped(text, 40).splitlines()
    assert f"      {command}" in lines  # whole, with the report's indent
    assert all(len(line) <= 40 for line in lines[lines.index("") + 1:])


def test_checks_that_failed_fast_on_an_earlier_proof_take_one_line_each() -> None:
    import io

    from grader.reports.terminal import render
    from grader.results import CheckResult, Report

    first = "The program was still running but not listening on TCP port 9000 after 5 s.\n/proc shows it listening on TCP port 9001 instead."
    again = (first + "\n\nWhat happened:\n    0.001s  harness * echo_server.py was not started again: in the check "
             "'echo_short' the same start never got to listen")
    report = Report(lab="tcp_echo", tests=(
        CheckResult(name="echo_short", score=0, max_score=2, outcome="timeout", output=first),
        CheckResult(name="echo_several", score=0, max_score=2, outcome="timeout", output=again)))
    out = io.StringIO()
    render(report, out)
    text = out.getvalue()
    assert text.count("listening on TCP port 9001 instead") == 1
    assert "Not started again: the same start as in 'echo_short' never got to listen" in text


def test_a_long_bytes_literal_wraps_as_adjacent_literals_of_the_same_value() -> None:
    import ast

    from grader.reports.terminal import wrapped

    data = bytes(range(256)) + b"it's \"quoted\"\\"
    line = f"0.037s     client -> sent {len(data)} bytes {data!r}"
    lines = wrapped(line, 80).splitlines()
    assert len(lines) > 3 and all(len(out) <= 80 for out in lines)
    literal = " ".join(out.strip() for out in lines).split(" bytes ", 1)[1]
    assert ast.literal_eval(literal) == data
