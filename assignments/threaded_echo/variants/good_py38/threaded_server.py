#!/usr/bin/env python3
# Python 3.8-era threaded echo server (thread module style, %-formatting).
import socket
import sys
import threading

HOST = ''
PORT = 9000


def handler(clientsock, addr):
    while 1:
        try:
            data = clientsock.recv(1024)
        except socket.error:
            break
        if not data:
            break
        try:
            clientsock.sendall(data)
        except socket.error:
            break
    clientsock.close()
    sys.stdout.write("%s:%d closed\n" % addr)


if __name__ == '__main__':
    serversock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    serversock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    serversock.bind((HOST, PORT))
    serversock.listen(5)
    while 1:
        sys.stdout.write("waiting for connection...\n")
        clientsock, addr = serversock.accept()
        sys.stdout.write("...connected from: %s:%d\n" % addr)
        t = threading.Thread(target=handler, args=(clientsock, addr))
        t.setDaemon(True)
        t.start()
