#!/usr/bin/env python3
# Print the current time from an NTP server (written for Python 3.8)
import sys
import time

import ntplib


def print_time():
    ntp_client = ntplib.NTPClient()
    response = ntp_client.request('pool.ntp.org')
    print('%s' % time.ctime(response.tx_time))


if __name__ == '__main__':
    try:
        print_time()
    except ntplib.NTPException as e:
        sys.stderr.write('NTP error: %s\n' % e)
        sys.exit(1)
