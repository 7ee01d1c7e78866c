import socket
import threading

HOST, PORT = '127.0.0.1', 12000


def reply(sock, data, addr):
    sock.sendto(data.upper(), addr)


def main():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((HOST, PORT))
    print('listening on', (HOST, PORT))
    while True:
        data, addr = sock.recvfrom(8192)
        threading.Thread(target=reply, args=(sock, data, addr), daemon=True).start()


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        print('bye')
