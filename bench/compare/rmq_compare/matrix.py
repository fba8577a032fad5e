"""The scenario matrices. Each scenario is one ringmq-bench command line and the figures that
the table reports for it."""

import resource
from dataclasses import dataclass, field

# Fixed moderate load of the latency scenarios: deliveries per second, summed over subscribers.
FIXED_DELIVERIES_PER_S = 20000
PUBLISHERS = 50
CONN_SOURCE_ADDRESSES = "127.0.0.1-127.0.0.4"
# Descriptors each process needs beyond its connections (listeners, logs, epoll, io_uring).
FD_HEADROOM = 256

# mode -> [(metric key, label, higher_is_better)]
METRICS = {
    "throughput": [("deliveries_per_s", "deliveries/s", True)],
    "latency": [("p50_us", "p50 us", False), ("p99_us", "p99 us", False)],
    "conn": [("connect_time_s", "time to connect s", False),
             ("rss_per_connection_b", "RSS B/conn", False)],
}


@dataclass
class Scenario:
    name: str
    title: str
    mode: str  # "throughput", "latency" or "conn"
    args: list = field(default_factory=list)
    connections: int = 0  # conn scenarios: descriptors each process needs


def _load(name, title, mode, scenario, qos, payload, rate_per_publisher):
    args = [scenario, "--qos", str(qos), "--payload", str(payload), "--window", "1000",
            "--rate", str(rate_per_publisher)]
    if scenario == "fanin":
        args += ["--publishers", str(PUBLISHERS), "--subscribers", "1"]
    elif scenario == "fanout":
        args += ["--subscribers", str(PUBLISHERS)]
    else:
        args += ["--pairs", str(PUBLISHERS)]
    return Scenario(name=name, title=title, mode=mode, args=args)


def _loads(mode):
    """The four loads of the standard matrix, as fast as possible or at the fixed rate."""
    fixed = mode == "latency"
    # Every load delivers FIXED_DELIVERIES_PER_S at the fixed rate: fan-in and pairs have 50
    # publishers with one receiver each, fan-out has one publisher with 50 receivers.
    per_publisher = FIXED_DELIVERIES_PER_S // PUBLISHERS if fixed else 0
    suffix = "20k/s" if fixed else "max"
    return [
        _load(f"fanin-16B-{suffix}", f"fan-in 50->1 QoS0 16B {suffix}", mode, "fanin", 0, 16,
              per_publisher),
        _load(f"fanin-1KiB-{suffix}", f"fan-in 50->1 QoS0 1KiB {suffix}", mode, "fanin", 0,
              1024, per_publisher),
        _load(f"fanout-16B-{suffix}", f"fan-out 1->50 QoS0 16B {suffix}", mode, "fanout", 0,
              16, per_publisher),
        _load(f"pairs-qos1-16B-{suffix}", f"pairs x50 QoS1 16B {suffix}", mode, "pairs", 1,
              16, per_publisher),
    ]


def _conn(count):
    return Scenario(name=f"conn-{count // 1000}k", title=f"conn {count // 1000}k idle",
                    mode="conn", connections=count,
                    args=["conn", "--connections", str(count), "--connect-rate", "0",
                          "--source-addresses", CONN_SOURCE_ADDRESSES,
                          "--max-connect-failures", "0"])


def open_file_limit():
    """The hard RLIMIT_NOFILE: what a child may raise its soft limit to."""
    return resource.getrlimit(resource.RLIMIT_NOFILE)[1]


def fits_open_file_limit(scenario):
    limit = open_file_limit()
    return limit == resource.RLIM_INFINITY or scenario.connections + FD_HEADROOM <= limit


def build(matrix):
    """Returns (scenarios to run, [(scenario name, reason skipped)])."""
    if matrix == "quick":
        return [_loads("throughput")[0], _loads("latency")[3]], []
    scenarios = _loads("throughput") + _loads("latency")
    skipped = []
    for count in (10000, 50000):
        conn = _conn(count)
        if fits_open_file_limit(conn):
            scenarios.append(conn)
        else:
            skipped.append((conn.name, f"needs {count + FD_HEADROOM} open files per process, "
                            f"the hard limit here is {open_file_limit()}"))
    return scenarios, skipped
