#!/usr/bin/env python3
# echo_server.py  (Hana Sato, group B)
# File objects on the socket: read1() hands back whatever has arrived
# (it does not wait for a newline or a full buffer), and every chunk is
# written and flushed right away.

import socket


def echo(conn):
    rfile = conn.makefile("rb")
    wfile = conn.makefile("wb")
    try:
        while True:
            chunk = rfile.read1(4096)
            if not chunk:
                break
            wfile.write(chunk)
            wfile.flush()
    except OSError as err:
        print("connection problem:", err)
    finally:
        for f in (rfile, wfile):
            try:
                f.close()
            except OSError:
                pass
        conn.close()


def main():
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("0.0.0.0", 9000))
    lsock.listen()
    while True:
        conn, _ = lsock.accept()
        echo(conn)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print()
