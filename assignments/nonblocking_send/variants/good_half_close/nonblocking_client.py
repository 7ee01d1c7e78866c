import select
import socket

data = b'foobar\n' * 1024 * 1024
print(f'Bytes to send: {len(data)}')

s = socket.socket()
s.connect(('localhost', 1234))
s.setblocking(False)
pos = 0
while pos < len(data):
    try:
        pos += s.send(data[pos:pos + 16384])
    except BlockingIOError:
        select.select([], [s], [])
# Half-close: the server sees the end of the data, and we wait until it closes too.
s.shutdown(socket.SHUT_WR)
while True:
    select.select([s], [], [])
    try:
        if not s.recv(4096):
            break
    except BlockingIOError:
        continue
s.close()
print('server closed, all sent')
