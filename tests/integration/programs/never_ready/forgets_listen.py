"""Binds but never calls listen(): accept() fails at once (EINVAL) and the program dies."""
import socket

s = socket.socket()
s.bind(("127.0.0.1", 9000))
s.accept()
