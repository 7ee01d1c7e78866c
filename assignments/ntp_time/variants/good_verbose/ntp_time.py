import sys
import time

import ntplib

server = "pool.ntp.org"
print(f"Asking {server} for the time...")
client = ntplib.NTPClient()
try:
    response = client.request(server, version=3)
except ntplib.NTPException as exc:
    print(f"Request timed out: {exc}")
    sys.exit(1)
print(f"stratum {response.stratum}, offset {response.offset:.3f} s, delay {response.delay:.3f} s")
print("Server time:")
print(time.ctime(response.tx_time))
