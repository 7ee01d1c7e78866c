import select
import socket

HOST = 'localhost'
PORT = 1234

message = b'foobar\n' * 1024 * 1024
print('Bytes to send: %d' % len(message))

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.connect((HOST, PORT))
sock.setblocking(False)

sent = 0
while sent < len(message):
    # wait until the socket can take more, then send as much as it takes
    _, writable, _ = select.select([], [sock], [])
    if sock in writable:
        sent += sock.send(message[sent:sent + 32768])
sock.close()
