import socket

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect(('localhost', 8888))
tm = b''
while True:
    chunk = s.recv(1024)
    if not chunk:
        break
    tm += chunk
s.close()
print("The time is %s" % tm.decode('ascii'))
