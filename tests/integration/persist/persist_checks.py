"""Persistence checks of the ringmq binary with Debian's python3-paho-mqtt.

Usage: persist_checks.py RINGMQ_BINARY CHECK. Runs one check in a fresh temporary directory.
Exit status: 0 passed, 1 failed, 77 could not run here (e.g. no permission to mount a tmpfs).
Every check ends within TIME_LIMIT seconds (then it fails).
"""
import os
import shutil
import signal
import sys
import tempfile
import traceback

import harness
import crash_check
import damage_checks
import disk_full_check
import restart_checks

TIME_LIMIT = 110
LOG_TAIL = 30000


def all_checks():
    checks = {}
    for module in (crash_check, restart_checks, damage_checks, disk_full_check):
        for name in dir(module):
            if name.startswith("check_"):
                checks[name[len("check_"):]] = getattr(module, name)
    return checks


def on_alarm(signum, frame):
    raise harness.CheckFailed("time limit of %d s reached" % TIME_LIMIT)


def main():
    checks = all_checks()
    if len(sys.argv) != 3 or sys.argv[2] not in checks:
        print("usage: persist_checks.py RINGMQ_BINARY CHECK\nchecks: " + " ".join(sorted(checks)))
        return 2
    harness.BINARY = sys.argv[1]
    work = tempfile.mkdtemp(prefix="ringmq-persist-")
    data = os.path.join(work, "data")
    os.mkdir(data)
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(TIME_LIMIT)
    try:
        checks[sys.argv[2]](data)
        print("ok   " + sys.argv[2])
        return 0
    except disk_full_check.Skip as skip:
        print("skip " + sys.argv[2] + ": " + str(skip))
        return 77
    except Exception:  # noqa: BLE001 - report any failure
        traceback.print_exc(file=sys.stdout)
        for broker in harness.BROKERS:
            print("=== broker log, last %d characters:\n%s" % (LOG_TAIL, broker.logs()[-LOG_TAIL:]))
        print("FAIL " + sys.argv[2])
        return 1
    finally:
        signal.alarm(0)
        for broker in harness.BROKERS:
            broker.close()
            broker.remove_logs()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)
    sys.exit(main())
