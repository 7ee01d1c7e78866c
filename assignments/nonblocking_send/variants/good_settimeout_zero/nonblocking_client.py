"""Send 7 MiB without blocking: settimeout(0.0) is the same as setblocking(False)."""
import select
import socket

PAYLOAD = b"foobar\n" * 1024 * 1024


def send_everything(sock: socket.socket, payload: bytes) -> int:
    view = memoryview(payload)
    while view:
        try:
            sent = sock.send(view)
        except (BlockingIOError, InterruptedError):
            select.select([], [sock], [], 30.0)
            continue
        view = view[sent:]
    return len(payload)


if __name__ == "__main__":
    print("Bytes to send:", len(PAYLOAD))
    with socket.create_connection(("localhost", 1234)) as conn:
        conn.settimeout(0.0)
        send_everything(conn, PAYLOAD)
