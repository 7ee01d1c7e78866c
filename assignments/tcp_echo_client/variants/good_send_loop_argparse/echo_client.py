"""Echo client: send each line of stdin, print its echo."""
import argparse
import socket
import sys


def send_all(sock, data):
    total = 0
    while total < len(data):
        n = sock.send(data[total:])
        total += n


def receive(sock, size):
    buf = bytearray()
    while len(buf) < size:
        chunk = sock.recv(size - len(buf))
        if chunk == b'':
            raise RuntimeError('socket connection broken')
        buf.extend(chunk)
    return bytes(buf)


def main():
    parser = argparse.ArgumentParser(description='TCP echo client')
    parser.add_argument('host', nargs='?', default='localhost')
    parser.add_argument('port', nargs='?', type=int, default=9000)
    args = parser.parse_args()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.connect((args.host, args.port))
    except OSError as e:
        print('error: could not connect to %s:%d (%s)' % (args.host, args.port, e), file=sys.stderr)
        sys.exit(1)
    while True:
        line = sys.stdin.buffer.readline()
        if not line:
            break
        send_all(s, line)
        sys.stdout.buffer.write(receive(s, len(line)))
        sys.stdout.flush()
    s.close()


if __name__ == '__main__':
    main()
