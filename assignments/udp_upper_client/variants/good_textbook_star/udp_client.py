from socket import *
import sys

serverName = sys.argv[1] if len(sys.argv) > 1 else 'localhost'
serverPort = 12000
clientSocket = socket(AF_INET, SOCK_DGRAM)
clientSocket.settimeout(2)
message = input('Input lowercase sentence:')
clientSocket.sendto(message.encode(), (serverName, serverPort))
try:
    modifiedMessage, serverAddress = clientSocket.recvfrom(2048)
except timeout:
    print('Request timed out')
    clientSocket.close()
    sys.exit(1)
print(modifiedMessage.decode())
clientSocket.close()
