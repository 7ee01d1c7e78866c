import ntplib
from time import ctime


def print_time():
    ntp_client = ntplib.NTPClient()
    response = ntp_client.request("pool.ntp.org")  # NTPException escapes as a traceback
    print(ctime(response.tx_time))


if __name__ == "__main__":
    print_time()
