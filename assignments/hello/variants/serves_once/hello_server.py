import socket

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(('', 9000))
s.listen(5)
c, addr = s.accept()
c.send(('Hello ' + addr[0] + '\n').encode())
c.close()
s.close()
