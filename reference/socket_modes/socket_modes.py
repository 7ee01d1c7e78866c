"""Reference solution: a listening socket in timeout mode, bound to loopback on a port the system picks."""

import socket


def test_socket_modes():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)  # non-blocking mode...
    s.settimeout(0.5)  # ...then timeout mode: every operation waits at most 0.5 s
    s.bind(("127.0.0.1", 0))  # loopback only; port 0 = any free (ephemeral) port
    socket_address = s.getsockname()
    print("Trivial Server launched on socket: %s" % str(socket_address))
    s.listen(1)
    while True:
        try:
            conn, _addr = s.accept()  # wakes up at least every 0.5 s: no busy loop
        except socket.timeout:
            continue
        conn.close()


if __name__ == "__main__":
    try:
        test_socket_modes()
    except KeyboardInterrupt:
        pass
