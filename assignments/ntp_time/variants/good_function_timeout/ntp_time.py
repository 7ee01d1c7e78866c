"""Print the time of pool.ntp.org."""
import socket
import sys
import time

import ntplib

NTP_SERVER = "pool.ntp.org"


def get_ntp_time(server: str = NTP_SERVER) -> float:
    client = ntplib.NTPClient()
    response = client.request(server, version=3, timeout=2)
    return response.tx_time


def main() -> int:
    try:
        t = get_ntp_time()
    except (ntplib.NTPException, socket.gaierror) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(time.ctime(t))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
