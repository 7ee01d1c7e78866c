import sys
import ntplib
from time import ctime

c = ntplib.NTPClient()
try:
    response = c.request('pool.ntp.org')
except ntplib.NTPException as e:
    print('Could not reach pool.ntp.org:', e)
    sys.exit(1)
print(ctime(response.tx_time))
