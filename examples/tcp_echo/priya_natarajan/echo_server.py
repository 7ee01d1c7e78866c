# Priya Natarajan
# TCP echo server for lab 1. Each message is cleaned up (extra spaces and
# newlines removed) and sent back as one line.
import socket

s = socket.socket()
s.bind(('', 9000))
s.listen(1)

while True:
    client, address = s.accept()
    while True:
        try:
            msg = client.recv(2048)
        except ConnectionResetError:
            break
        if not msg:
            break
        try:
            client.sendall(msg.strip() + b'\n')
        except (ConnectionResetError, BrokenPipeError):
            break
    client.close()
