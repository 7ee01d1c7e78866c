import socket
import sys


def main(argv):
    if len(argv) < 3:
        sys.stderr.write("usage: %s HOST SELECTOR\n" % argv[0])
        return 2
    host, selector = argv[1], argv[2]
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.connect((host, 70))
    except socket.error as e:
        sys.stderr.write("cannot connect to %s: %s\n" % (host, e))
        return 1
    s.sendall(("%s\r\n" % selector).encode("latin-1"))
    while 1:
        buf = s.recv(1024)
        if len(buf) == 0:
            break
        sys.stdout.buffer.write(buf)
    s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
