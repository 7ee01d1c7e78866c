""""Try it yourself" for each shared move: the same exchange, typed by hand.

Each function gives the lines a failed check shows under "Try it yourself":
start the program in one terminal, then one client command in another. Where
nc cannot do what the check does (send without a newline and wait, send bytes
one by one, abort with RST, half-close and read on), the client is a Python
one-liner: one line, so it survives copying from a terminal.
"""

from __future__ import annotations

from harness.session import LabSession


def _server(lab: LabSession) -> str:
    return f"python3 {lab.file}".ljust(34) + "# terminal 1"


def _connect(lab: LabSession, timeout: int = 3) -> str:
    return f"s = socket.create_connection(('127.0.0.1', {lab.port}), timeout={timeout})"


def _py(statements: str) -> str:
    return f'python3 -c "{statements}"'


def echo_short(lab: LabSession) -> str:
    return f"{_server(lab)}\n" + f"nc 127.0.0.1 {lab.port}".ljust(34) + "# terminal 2: type hello, echo and Enter: it comes back"


def echo_no_newline(lab: LabSession) -> str:
    return (f"{_server(lab)}\n# terminal 2: sends without a newline and waits 3 s for the echo, without closing\n"
            + _py(f"import socket; {_connect(lab)}; s.sendall(b'no newline at the end'); print(s.recv(100))"))


def echo_several(lab: LabSession) -> str:
    return (f"{_server(lab)}\n" + f"nc 127.0.0.1 {lab.port}".ljust(34)
            + "# terminal 2: type three lines; each comes back before the next")


def echo_large(lab: LabSession) -> str:
    return (f"{_server(lab)}\n# terminal 2: 1 MiB of random bytes; the echo is read after a pause, as the check does "
            "(a send() that takes only part of its bytes loses the rest there); prints True when equal\n"
            + _py(f"import socket, os, threading, time; d = os.urandom(1 << 20); {_connect(lab, 10)}; "
                  "threading.Thread(target=s.sendall, args=(d,)).start(); time.sleep(0.5); "  # poll: the by-hand pause
                  "print(s.makefile('rb').read(len(d)) == d)"))


def echo_bytewise(lab: LabSession) -> str:
    return (f"{_server(lab)}\n# terminal 2: one byte at a time, 50 ms apart; the whole line must come back\n"
            + _py(f"import socket, time; {_connect(lab)}; "
                  "[(s.send(bytes([b])), time.sleep(0.05)) for b in b'one byte at a time\\n']; "  # poll: no wait of
                  # ours, the pause between bytes in the one-liner the student runs by hand
                  "print(s.makefile('rb').readline())"))


def all_byte_values(lab: LabSession) -> str:
    return (f"{_server(lab)}\n# terminal 2: all 256 byte values, 4 times; prints True when they come back unchanged\n"
            + _py(f"import socket; d = bytes(range(256)) * 4; {_connect(lab)}; s.sendall(d); "
                  "print(s.makefile('rb').read(len(d)) == d)"))


def clients_in_turn(lab: LabSession) -> str:
    return (f"{_server(lab)}\n# terminal 2: five clients in turn; each line comes back, then the server closes\n"
            + _py("import socket; [print(s.sendall(b'client %d\\n' % i) or s.shutdown(socket.SHUT_WR) or "
                  f"s.makefile('rb').read()) for i in range(5) for s in [socket.create_connection(('127.0.0.1', "
                  f"{lab.port}), timeout=3)]]"))


def survives_reset(lab: LabSession) -> str:
    return (f"{_server(lab)}\n# terminal 2: a client is echoed, then aborts its connection (RST instead of FIN)\n"
            + _py(f"import socket, struct; {_connect(lab)}; s.sendall(b'hi\\n'); print(s.recv(100)); "
                  "s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0)); s.close()")
            + f"\nnc 127.0.0.1 {lab.port}".ljust(35) + "# then: the server must still be there and echo")


def shutdown_flush(lab: LabSession) -> str:
    return (f"{_server(lab)}\n# terminal 2: 46 KB without a final newline, then FIN; prints True when all came back\n"
            + _py(f"import socket; d = b'line of the text\\n' * 2700 + b'no newline'; {_connect(lab, 5)}; "
                  "s.sendall(d); s.shutdown(socket.SHUT_WR); print(s.makefile('rb').read() == d)"))
