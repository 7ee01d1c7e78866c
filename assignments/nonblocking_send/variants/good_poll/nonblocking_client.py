import errno
import select
import socket
import sys


def main():
    payload = b"foobar\n" * 1024 * 1024
    print(f"Bytes to send: {len(payload)}")
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.connect(("localhost", 1234))
    s.setblocking(False)
    poller = select.poll()
    poller.register(s, select.POLLOUT)
    view = memoryview(payload)
    total = 0
    while total < len(payload):
        try:
            n = s.send(view[total:])
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.EWOULDBLOCK):
                raise
            poller.poll()  # block until POLLOUT
            continue
        total += n
    s.close()
    print(f"Done: {total} bytes sent")
    return 0


if __name__ == "__main__":
    sys.exit(main())
