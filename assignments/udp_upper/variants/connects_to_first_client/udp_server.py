from socket import *

serverPort = 12000
serverSocket = socket(AF_INET, SOCK_DGRAM)
serverSocket.bind(('', serverPort))
print("The server is ready to receive")
message, clientAddress = serverSocket.recvfrom(2048)
serverSocket.connect(clientAddress)  # from now on send() needs no address
while True:
    serverSocket.send(message.upper())
    message = serverSocket.recv(2048)
