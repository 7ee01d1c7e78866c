import sys
import time

import ntplib

try:
    response = ntplib.NTPClient().request("pool.ntp.org")
except ntplib.NTPException as e:
    print("Error:", e)
    sys.exit(1)
print(time.ctime())  # the local clock, not the server's answer
