import socket
import sys

HOST = sys.argv[1] if len(sys.argv) > 1 else 'localhost'
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 9000
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect((HOST, PORT))
for line in sys.stdin.buffer:
    s.sendall(line)
    got = b''
    while len(got) < len(line):
        part = s.recv(4096)
        if not part:
            break
        got += part
    sys.stdout.buffer.write(got)
s.close()
