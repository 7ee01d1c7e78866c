import sys
import time

import ntplib

try:
    response = ntplib.NTPClient().request("pool.ntp.org", version=3)
except ntplib.NTPException as e:
    print("Error:", e)
    sys.exit(1)
print(time.ctime(time.time() + response.offset))  # local clock corrected by the offset, not tx_time
