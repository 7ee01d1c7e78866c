#!/usr/bin/env python3
# select() echo server written the way 3.8-era course notes do it:
# plain lists and dicts, errno checks, %-formatting, no walrus, no match.
import errno
import select
import socket
import sys

PORT = 10000


def main():
    listen_sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listen_sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listen_sock.bind(('', PORT))
    listen_sock.listen(50)
    listen_sock.setblocking(0)
    sys.stderr.write("listening on port %d\n" % PORT)

    inputs = [listen_sock]
    send_buffers = {}
    closing = []

    while 1:
        outputs = [s for s in send_buffers if len(send_buffers[s]) > 0]
        readers = [s for s in inputs if s not in closing]
        rl, wl, xl = select.select(readers, outputs, [])
        for s in rl:
            if s == listen_sock:
                try:
                    conn, addr = listen_sock.accept()
                except socket.error as e:
                    if e.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                        continue
                    raise
                conn.setblocking(0)
                inputs.append(conn)
                send_buffers[conn] = bytearray()
                continue
            try:
                data = s.recv(1024)
            except socket.error as e:
                if e.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                    continue
                drop(s, inputs, send_buffers, closing)
                continue
            if len(data) == 0:
                if len(send_buffers[s]) == 0:
                    drop(s, inputs, send_buffers, closing)
                else:
                    closing.append(s)
            else:
                send_buffers[s].extend(data)
        for s in wl:
            if s not in send_buffers:
                continue
            try:
                n = s.send(send_buffers[s])
            except socket.error as e:
                if e.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                    continue
                drop(s, inputs, send_buffers, closing)
                continue
            del send_buffers[s][:n]
            if s in closing and len(send_buffers[s]) == 0:
                drop(s, inputs, send_buffers, closing)


def drop(s, inputs, send_buffers, closing):
    if s in inputs:
        inputs.remove(s)
    if s in closing:
        closing.remove(s)
    if s in send_buffers:
        del send_buffers[s]
    s.close()


if __name__ == '__main__':
    main()
