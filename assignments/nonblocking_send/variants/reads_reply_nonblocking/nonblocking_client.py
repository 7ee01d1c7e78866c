import select
import socket

data = b'foobar\n' * 1024 * 1024
print('Bytes to send:', len(data))
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.connect(('localhost', 1234))
sock.setblocking(False)
total = 0
while total < len(data):
    try:
        total += sock.send(data[total:])
    except BlockingIOError:
        select.select([], [sock], [])
# still non-blocking: recv() raises BlockingIOError at once, a traceback and exit status 1
print('Server replied:', sock.recv(1024))
sock.close()
