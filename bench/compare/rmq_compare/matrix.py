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

# Concurrent clients of the handshake scenarios, each reconnecting as soon as it is connected.
HANDSHAKE_CLIENTS = 50
# Stands for the CA file the runner generates (see tls_files.py); replaced in each command line.
CAFILE = "{cafile}"

# mode -> [(metric key, label, higher_is_better)]; None: shown without a ratio.
METRICS = {
    "throughput": [("deliveries_per_s", "deliveries/s", True)],
    "latency": [("p50_us", "p50 us", False), ("p99_us", "p99 us", False)],
    "conn": [("connect_time_s", "time to connect s", False),
             ("rss_per_connection_b", "RSS B/conn", False)],
    "handshake": [("handshakes_per_s", "handshakes/s", True),
                  ("connect_p50_us", "setup p50 us", False),
                  ("connect_p99_us", "setup p99 us", False),
                  ("resumed_fraction", "resumed", None)],
}


@dataclass
class Scenario:
    name: str
    title: str
    mode: str  # "throughput", "latency", "conn" or "handshake"
    args: list = field(default_factory=list)
    connections: int = 0  # conn scenarios: descriptors each process needs
    tls: bool = False  # run against the broker's TLS listener
    plain: str = None  # a TLS scenario's plain-TCP counterpart, for the TLS / plain ratio


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


def _tls_scenarios():
    """TLS handshakes per second, full and resumed, and fan-in 16 B as fast as possible over
    TLS (its plain counterpart is the matrix's fanin-16B-max)."""
    handshake = ["reconnect", "--connections", str(HANDSHAKE_CLIENTS), "--tls", "--cafile",
                 CAFILE, "--source-addresses", CONN_SOURCE_ADDRESSES,
                 "--max-connect-failures", "0"]
    plain_fanin = _loads("throughput")[0]
    fanin = Scenario(name=f"{plain_fanin.name}-tls", title=f"{plain_fanin.title} TLS",
                     mode="throughput", args=plain_fanin.args + ["--tls", "--cafile", CAFILE],
                     tls=True, plain=plain_fanin.name)
    return [
        Scenario(name="tls-handshake-full", title="TLS handshake full", mode="handshake",
                 args=handshake, tls=True),
        Scenario(name="tls-handshake-resumed", title="TLS handshake resumed", mode="handshake",
                 args=handshake + ["--tls-resume"], tls=True),
        fanin,
    ]


def with_tls(scenarios):
    """`scenarios` plus the TLS ones, and the plain fan-in they are compared with if missing."""
    tls = _tls_scenarios()
    names = {s.name for s in scenarios}
    plain = [_loads("throughput")[0]] if tls[-1].plain not in names else []
    return scenarios + tls[:-1] + plain + tls[-1:]


def open_file_limit():
    """The hard RLIMIT_NOFILE: what a child may raise its soft limit to."""
    return resource.getrlimit(resource.RLIMIT_NOFILE)[1]


def fits_open_file_limit(scenario):
    limit = open_file_limit()
    return limit == resource.RLIM_INFINITY or scenario.connections + FD_HEADROOM <= limit


def build(matrix, tls=False):
    """Returns (scenarios to run, [(scenario name, reason skipped)]). Matrix "tls" is the TLS
    scenarios and the plain fan-in; `tls` adds them to the "standard" or "quick" matrix."""
    if matrix == "tls":
        return with_tls([]), []
    if matrix == "quick":
        quick = [_loads("throughput")[0], _loads("latency")[3]]
        return (with_tls(quick) if tls else quick), []
    scenarios = _loads("throughput") + _loads("latency")
    skipped = []
    for count in (10000, 50000):
        conn = _conn(count)
        if fits_open_file_limit(conn):
            scenarios.append(conn)
        else:
            skipped.append((conn.name, f"needs {count + FD_HEADROOM} open files per process, "
                            f"the hard limit here is {open_file_limit()}"))
    return (with_tls(scenarios) if tls else scenarios), skipped
