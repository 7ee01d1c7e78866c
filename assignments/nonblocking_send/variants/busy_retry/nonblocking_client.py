import socket

data = b"foobar\n" * 1024 * 1024
print("Bytes to send:", len(data))

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.connect(("localhost", 1234))
sock.setblocking(False)

total_sent = 0
while total_sent < len(data):
    try:
        total_sent += sock.send(data[total_sent:])
    except BlockingIOError:
        pass  # buffer full: just try again
sock.close()
print("Sent", total_sent, "bytes")
