import selectors
import socket

data = b'foobar\n' * 1024 * 1024
print('Bytes to send:', len(data))

sel = selectors.DefaultSelector()
sock = socket.create_connection(('localhost', 1234))
sock.setblocking(False)
sel.register(sock, selectors.EVENT_WRITE)

offset = 0
while offset < len(data):
    for key, mask in sel.select():
        try:
            offset += key.fileobj.send(data[offset:offset + 65536])
        except BlockingIOError:
            pass
sel.unregister(sock)
sel.close()
sock.close()
