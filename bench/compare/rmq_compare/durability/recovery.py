"""Part 2: recovery time. Each case starts a broker on an empty data directory, fills it (an
offline persistent session with N queued QoS 1 messages, or N retained messages), stops it with
SIGTERM or SIGKILL, starts it again and times that start to the first accepted connection and
the first CONNACK (ringmq also logs its own recovery time), then counts what came back."""

import os
import signal
import time

from . import wire
from .brokers import Broker

QUEUE_TOPIC = "dq/q"
RETAINED_PREFIX = "ret"
SUBSCRIBER_ID = "dq-sub"


def _rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def fill_queue(port, count, window=1000):
    """An offline persistent session (3.1.1 Clean Session 0) subscribed to QUEUE_TOPIC at QoS 1,
    then `count` QoS 1 publishes to it, every one acknowledged. Returns publishes/s."""
    sub = wire.Client(port, SUBSCRIBER_ID, clean=False)
    granted = sub.subscribe([(QUEUE_TOPIC, 1)])
    if granted != [1]:
        raise wire.WireError(f"subscription granted {granted}, wanted QoS 1")
    sub.close()
    pub = wire.Client(port, "dq-pub", clean=True)
    seconds = wire.publish_many(pub, count, wire.qos1_body(QUEUE_TOPIC), window=window)
    pub.close()
    return count / seconds if seconds > 0 else None


def fill_retained(port, count, window=1000):
    """`count` retained QoS 1 messages on RETAINED_PREFIX/<i>. Returns publishes/s."""
    pub = wire.Client(port, "ret-pub", clean=True)
    seconds = wire.publish_many(pub, count, wire.retained_body(RETAINED_PREFIX), window=window)
    pub.close()
    return count / seconds if seconds > 0 else None


def count_queue(port, expected, idle_s):
    """Resumes the persistent session and drains it; (session present, wire.Count)."""
    sub = wire.Client(port, SUBSCRIBER_ID, clean=False)
    count = wire.receive(sub, expected, idle_s=idle_s)
    sub.close()
    return sub.session_present, count


def count_retained(port, expected, idle_s):
    """Subscribes to RETAINED_PREFIX/# on a clean session and counts distinct topics."""
    sub = wire.Client(port, "ret-count", clean=True)
    sub.subscribe([(f"{RETAINED_PREFIX}/#", 0)])
    count = wire.receive(sub, expected, idle_s=idle_s, by_topic=True)
    sub.close()
    return count


def _case(options, variant, what, sig, work_dir, log_path):
    """One fill / stop / start / count cycle; returns its record."""
    count = options.queued if what == "queued" else options.retained
    record = {"broker": variant.name, "state": what, "count": count,
              "signal": signal.Signals(sig).name, "ok": False, "error": "",
              "load_average_at_start": os.getloadavg()[0]}
    broker = Broker(variant, options, work_dir, log_path, options.ringmq_threads)
    broker.wipe()
    try:
        broker.start(timeout_s=30)
        filler = fill_queue if what == "queued" else fill_retained
        record["fill_per_s"] = filler(broker.port, count)
        record["rss_before_stop_kb"] = _rss_kb(broker.pid)
        record["data_bytes_before_stop"] = broker.data_bytes()
        record["exit_status"], record["stop_ms"] = broker.stop(sig)
        record["port_free_ms"] = broker.port_free_ms
        record["data_bytes_after_stop"] = broker.data_bytes()
        timing = broker.start(timeout_s=options.start_timeout)
        record.update(accept_ms=timing.accept_ms, connack_ms=timing.connack_ms,
                      recovered_ms=timing.recovered_ms, recovered_line=timing.recovered_line,
                      rss_after_start_kb=_rss_kb(broker.pid))
        started = time.monotonic()
        if what == "queued":
            record["session_present"], got = count_queue(broker.port, count, options.idle_s)
        else:
            got = count_retained(broker.port, count, options.idle_s)
        record.update(received=got.received, distinct=got.distinct, duplicated=got.duplicated,
                      out_of_range=got.out_of_range,
                      count_s=time.monotonic() - started)
        record["ok"] = True
    except (RuntimeError, OSError, wire.WireError) as error:
        record["error"] = f"{type(error).__name__}: {error}"
    finally:
        broker.stop(signal.SIGKILL)
    return record


def run(options, variants, work_dir, log_dir, progress):
    """Every variant through queued and retained, each stopped by SIGTERM and by SIGKILL."""
    records = []
    for what in ("queued", "retained"):
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for variant in variants:
                progress(f"recovery {what} {signal.Signals(sig).name} {variant.name}")
                record = _case(options, variant, what, sig, work_dir,
                               os.path.join(log_dir, f"{variant.name}.log"))
                if record["error"]:
                    progress(f"  FAILED: {record['error']}")
                else:
                    progress(f"  start {record['connack_ms']:.0f} ms, back "
                             f"{record['distinct']} of {record['count']}")
                records.append(record)
    return records
