import select
import socket
import sys

HOST, PORT = "localhost", 9000
if len(sys.argv) > 1:
    HOST = sys.argv[1]
if len(sys.argv) > 2:
    PORT = int(sys.argv[2])

try:
    s = socket.create_connection((HOST, PORT))
except OSError as e:
    print("echo_client: error: %s" % e, file=sys.stderr)
    sys.exit(1)
s.setblocking(False)

for line in sys.stdin.buffer:
    view = memoryview(line)
    while view:
        select.select([], [s], [])
        n = s.send(view)
        view = view[n:]
    echo = b""
    while len(echo) < len(line):
        readable, _, _ = select.select([s], [], [], 10)
        if not readable:
            sys.exit("echo_client: no echo within 10 s")
        data = s.recv(65536)
        if not data:
            sys.exit("echo_client: the server closed the connection")
        echo += data
    sys.stdout.buffer.write(echo)
    sys.stdout.buffer.flush()
s.close()
