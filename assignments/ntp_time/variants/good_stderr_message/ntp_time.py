import logging
import sys
from time import ctime

import ntplib

logging.basicConfig(format="%(levelname)s: %(message)s")

try:
    response = ntplib.NTPClient().request("pool.ntp.org", version=3)
except ntplib.NTPException:
    logging.error("no answer from pool.ntp.org")
    sys.exit(2)
else:
    print(ctime(response.tx_time))
