# Echo server that answers the client's half-close with its own: after the
# client's FIN it shuts down its write side (FIN back), then closes.
from socket import socket, AF_INET, SOCK_STREAM, SHUT_WR

server = socket(AF_INET, SOCK_STREAM)
server.bind(("localhost", 9000))
server.listen(1)

while True:
    client, address = server.accept()
    try:
        while True:
            chunk = client.recv(1024)
            if chunk == b"":
                client.shutdown(SHUT_WR)
                break
            client.sendall(chunk)
    except OSError as error:
        print("client", address, "went away:", error)
    client.close()
