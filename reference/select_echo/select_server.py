"""Reference solution: echo server on port 10000 for many clients at once,
in one thread, with select() and non-blocking sockets.

Every client has a queue of bytes still owed to it. A client is watched for
writability only while its queue is non-empty, and a partial send() leaves the
rest queued. When a client shuts down its side, the server stops reading from
it and closes it once everything it owes has been sent.
"""

import select
import socket

HOST, PORT = "", 10000


def main():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((HOST, PORT))
    listener.listen()
    listener.setblocking(False)

    owed = {}  # client socket -> bytearray still to send back
    finished = set()  # clients that sent EOF: close them once `owed` is empty

    def drop(sock):
        owed.pop(sock, None)
        finished.discard(sock)
        sock.close()

    while True:
        readers = [listener] + [s for s in owed if s not in finished]
        writers = [s for s, queue in owed.items() if queue]
        readable, writable, _ = select.select(readers, writers, [])

        for sock in readable:
            if sock is listener:
                try:
                    conn, _addr = listener.accept()
                except (BlockingIOError, ConnectionAbortedError):
                    continue
                conn.setblocking(False)
                owed[conn] = bytearray()
                continue
            if sock not in owed:
                continue
            try:
                data = sock.recv(65536)
            except BlockingIOError:
                continue
            except OSError:  # e.g. ConnectionResetError: the client aborted
                drop(sock)
                continue
            if data:
                owed[sock] += data
            else:
                finished.add(sock)
                if not owed[sock]:
                    drop(sock)

        for sock in writable:
            if sock not in owed:
                continue  # dropped while handling the readable list
            try:
                sent = sock.send(owed[sock])
            except BlockingIOError:
                continue
            except OSError:
                drop(sock)
                continue
            del owed[sock][:sent]
            if sock in finished and not owed[sock]:
                drop(sock)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
