"""Reference solution: fetch SELECTOR from a Gopher server (HOST, port 70) and copy it to stdout."""

import argparse
import socket
import sys

PORT = 70


def main():
    parser = argparse.ArgumentParser(description="Fetch a Gopher document and copy it to standard output.")
    parser.add_argument("host", help="the Gopher server, e.g. quux.org")
    parser.add_argument("selector", help="the document's selector, e.g. / (the server's main menu)")
    args = parser.parse_args()
    out = sys.stdout.buffer  # bytes, unchanged: documents need not be text
    try:
        with socket.create_connection((args.host, PORT), timeout=10) as sock:
            sock.sendall(args.selector.encode() + b"\r\n")
            while True:
                data = sock.recv(65536)
                if not data:
                    break  # the server closed the connection: the document is complete
                out.write(data)
    except OSError as exc:
        print(f"error: {args.host}:{PORT}: {exc}", file=sys.stderr)
        return 1
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
