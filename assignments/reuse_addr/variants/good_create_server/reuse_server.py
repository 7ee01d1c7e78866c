import socket

PORT = 8282

# show what the option looks like on a fresh socket, before and after setting it
demo = socket.socket()
print(f"Old sock state: {demo.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)}")
demo.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
print(f"New sock state: {demo.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)}")
demo.close()

# create_server sets SO_REUSEADDR before bind() on POSIX
with socket.create_server(("", PORT)) as server:
    print(f"Listening on port: {PORT}")
    while True:
        conn, (ip, port) = server.accept()
        with conn:
            print(f"Connected by {ip}:{port}")
