import socket
import sys

server = (sys.argv[1] if len(sys.argv) > 1 else 'localhost', 12000)
client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
client.settimeout(2)
try:
    sentence = input('Enter a sentence in lower case: ')
except EOFError:
    sentence = ''
client.sendto(bytes(sentence, 'utf-8'), server)
try:
    data, addr = client.recvfrom(1024)
    print('Modified sentence:', str(data, 'utf-8'))
except socket.timeout:
    print('Request timed out', file=sys.stderr)
    sys.exit(1)
finally:
    client.close()
