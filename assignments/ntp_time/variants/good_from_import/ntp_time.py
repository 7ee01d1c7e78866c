from ntplib import NTPClient, NTPException
import time
import sys

try:
    resp = NTPClient().request("pool.ntp.org", version=4)
except NTPException:
    sys.exit("NTP request failed: no response from pool.ntp.org")
print(time.ctime(resp.tx_time))
