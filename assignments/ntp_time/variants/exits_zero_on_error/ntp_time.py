from time import ctime

import ntplib

try:
    response = ntplib.NTPClient().request("pool.ntp.org")
    print(ctime(response.tx_time))
except Exception as e:
    print("Could not get the time:", e)  # but the exit status stays 0
