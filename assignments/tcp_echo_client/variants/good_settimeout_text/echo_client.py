import socket
import sys

SERVER = ('localhost', 9000)

client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.settimeout(5)  # never hang forever on a silent server
try:
    client.connect(SERVER)
except (ConnectionRefusedError, socket.timeout):
    print("Could not connect to the echo server on port 9000.")
    sys.exit(1)

for line in sys.stdin:
    message = line.encode()
    client.sendall(message)
    reply = b""
    while len(reply) < len(message):
        part = client.recv(1024)
        if not part:
            break
        reply += part
    print(reply.decode(), end="")
client.close()
