import sys
from time import ctime

import ntplib

try:
    response = ntplib.NTPClient().request("pool.ntp.org", version=3)
except ntplib.NTPException as e:
    print("Error:", e)
    sys.exit(1)
print(ctime(response.recv_time))  # when the server received the request, not when it answered
