import socket

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(('', 9000))
s.listen(5)
while True:
    c, addr = s.accept()
    c.send(('Hello ' + addr[0]).encode())
    c.close()
