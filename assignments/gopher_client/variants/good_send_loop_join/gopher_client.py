import argparse
import socket
import sys


def fetch(host, selector, port=70):
    request = selector.encode("utf-8") + b"\r\n"
    chunks = []
    with socket.socket() as s:
        s.connect((host, port))
        sent = 0
        while sent < len(request):
            sent += s.send(request[sent:])
        buf = bytearray(10000)
        while True:
            n = s.recv_into(buf)
            if n == 0:
                break
            chunks.append(bytes(buf[:n]))
    return b"".join(chunks)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description="Gopher client")
    ap.add_argument("host", help="Gopher server")
    ap.add_argument("selector", help="selector string")
    a = ap.parse_args()
    document = fetch(a.host, a.selector)
    sys.stdout.buffer.write(document)  # all at once, at the end
