import sys
import time

import ntplib

try:
    ntp = ntplib.NTPClient()
    reply = ntp.request('pool.ntp.org', port='ntp')
    print(time.ctime(reply.tx_time))
except Exception as err:  # no answer, no network, bad name: one line and exit 1
    print(f'Error: {err}')
    sys.exit(1)
