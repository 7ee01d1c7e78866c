"""Reference solution: ask pool.ntp.org for the time (SNTP, via ntplib) and print it."""

import sys
import time

import ntplib

SERVER = "pool.ntp.org"


def main():
    client = ntplib.NTPClient()
    try:
        response = client.request(SERVER, version=3)
    except (ntplib.NTPException, OSError) as exc:
        print(f"error: no time from {SERVER}: {exc}", file=sys.stderr)
        return 1
    print(time.ctime(response.tx_time))
    return 0


if __name__ == "__main__":
    sys.exit(main())
