import socket

data = b"foobar\n" * 1024 * 1024
print("Bytes to send:", len(data))

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.connect(("localhost", 1234))
# "sendall() takes care of partial sends for me" -- but it blocks
sock.sendall(data)
sock.close()
print("Done")
