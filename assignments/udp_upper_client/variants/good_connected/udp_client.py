import socket
import sys

host = sys.argv[1] if len(sys.argv) > 1 else "localhost"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect((host, 12000))  # a connected UDP socket: send()/recv() instead of sendto()/recvfrom()
s.settimeout(2)
text = input()
s.send(text.encode())
try:
    answer = s.recv(2048)
except socket.timeout:
    print("Request timed out")
    sys.exit(1)
except ConnectionRefusedError:  # ICMP port unreachable: no server there
    print("Request timed out (no server)")
    sys.exit(1)
finally:
    pass
print("From server:", answer.decode())
