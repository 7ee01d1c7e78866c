from socket import *

serverPort = 12000
serverSocket = socket(AF_INET, SOCK_DGRAM)
serverSocket.bind(('', serverPort))
print("The server is ready to receive")
message, clientAddress = serverSocket.recvfrom(2048)
while True:
    serverSocket.sendto(message.upper(), clientAddress)
    message, _ = serverSocket.recvfrom(2048)
