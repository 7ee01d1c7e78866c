# Lab 1 - TCP echo server
# Amara Okafor
#
# Waits for a client on port 9000 and sends back every byte it gets,
# until the client closes. Then waits for the next client.

import socket

PORT = 9000
BUFSIZE = 4096

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.bind(("localhost", PORT))
server.listen(5)
print("echo server listening on port", PORT)

try:
    while True:
        conn, addr = server.accept()
        print("connection from", addr)
        try:
            while True:
                data = conn.recv(BUFSIZE)
                if not data:          # empty bytes = client closed its side
                    break
                conn.sendall(data)
        except ConnectionError as e:
            print("client", addr, "went away:", e)
        finally:
            conn.close()
        print("closed", addr)
except KeyboardInterrupt:
    print("bye")
finally:
    server.close()
