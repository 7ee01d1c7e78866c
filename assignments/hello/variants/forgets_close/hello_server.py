import socket

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(('', 9000))
s.listen(5)
while True:
    c, addr = s.accept()
    print('Got connection from', addr)
    c.send(('Hello ' + addr[0] + '\n').encode())
