import socket

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(('', 9000))
s.listen(5)
while True:
    c, addr = s.accept()
    c.send(b'Hello 127.0.0.1\n')
    c.close()
