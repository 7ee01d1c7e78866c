import socket
import sys

HOST = sys.argv[1] if len(sys.argv) > 1 else "localhost"
PORT = 12000

print("UDP client: sending to %s:%d" % (HOST, PORT))
print("Input lowercase sentence:")
sentence = sys.stdin.readline().strip()
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.settimeout(2)
sock.sendto(sentence.encode(), (HOST, PORT))
print("sent %d bytes, waiting up to 2 s for the reply" % len(sentence))
try:
    reply, address = sock.recvfrom(2048)
except OSError:  # socket.timeout is an OSError
    print("Request timed out")
    sys.exit(1)
print("Got %d bytes back from %s" % (len(reply), address[0]))
print(reply.decode())
