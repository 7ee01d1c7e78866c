import select
import socket

data = b"foobar\n" * 1024 * 1024
print("Bytes to send:", len(data))

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.connect(("localhost", 1234))
sock.setblocking(False)

sent = 0
while sent < len(data):
    try:
        sent += sock.send(data[sent:])
    except BlockingIOError:
        select.select([], [sock], [])
print("Sent", sent, "bytes; waiting for the server's reply")

# waits for an acknowledgement the protocol never sends, and never closes
sock.setblocking(True)
reply = sock.recv(1024)
print("Server replied:", reply)
sock.close()
