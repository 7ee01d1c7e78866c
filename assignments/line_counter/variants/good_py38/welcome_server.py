#!/usr/bin/env python3
import socket

HOST = ''
PORT = 51423


def main():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((HOST, PORT))
    s.listen(5)
    while True:
        conn, addr = s.accept()
        try:
            conn.send(bytes('Welcome, ' + str(addr) + '\n', 'utf-8'))
            conn.send(bytes('Please enter a string: ', 'utf-8'))
            data = ''
            while '\n' not in data:
                chunk = conn.recv(1024).decode('utf-8')
                if chunk == '':
                    break
                data = data + chunk
            if data:
                conn.send(bytes('You entered %s characters.\n' % len(data.strip()), 'utf-8'))
        except socket.error:
            pass
        finally:
            conn.close()


if __name__ == '__main__':
    main()
