"""An object-oriented select() echo server: one Client object per connection."""
from __future__ import annotations

import select
import socket
from dataclasses import dataclass, field


@dataclass
class Client:
    sock: socket.socket
    addr: tuple
    outbox: bytearray = field(default_factory=bytearray)
    eof: bool = False

    def on_readable(self) -> bool:
        """False when the client is finished."""
        try:
            data = self.sock.recv(32768)
        except BlockingIOError:
            return True
        except OSError:
            return False
        if not data:
            self.eof = True
            return bool(self.outbox)
        self.outbox += data
        return True

    def on_writable(self) -> bool:
        try:
            n = self.sock.send(self.outbox)
        except BlockingIOError:
            return True
        except OSError:
            return False
        del self.outbox[:n]
        return not (self.eof and not self.outbox)


class EchoServer:
    def __init__(self, port: int) -> None:
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("", port))
        self.listener.listen()
        self.listener.setblocking(False)
        self.clients: dict[socket.socket, Client] = {}

    def run(self) -> None:
        while True:
            readers = [self.listener] + [s for s, c in self.clients.items() if not c.eof]
            writers = [s for s, c in self.clients.items() if c.outbox]
            readable, writable, _ = select.select(readers, writers, [])
            for s in readable:
                if s is self.listener:
                    self.accept()
                elif s in self.clients and not self.clients[s].on_readable():
                    self.remove(s)
            for s in writable:
                if s in self.clients and not self.clients[s].on_writable():
                    self.remove(s)

    def accept(self) -> None:
        try:
            sock, addr = self.listener.accept()
        except BlockingIOError:
            return
        sock.setblocking(False)
        self.clients[sock] = Client(sock, addr)

    def remove(self, sock: socket.socket) -> None:
        self.clients.pop(sock)
        sock.close()


if __name__ == "__main__":
    try:
        EchoServer(10000).run()
    except KeyboardInterrupt:
        print("bye")
