"""Medians, ratios to ringmq, the stdout tables and results.json."""

import json
import math
import os
import platform
import statistics
import time

from .matrix import METRICS

# Correctness counts are reported as the worst run, not the median.
WORST_OF = ("lost", "duplicated", "out_of_order", "qos_unacked", "connect_failed")
MEDIAN_OF = ("deliveries_per_s", "publishes_per_s", "p50_us", "p99_us", "p999_us",
             "connect_time_s", "connect_rate_per_s", "rss_per_connection_b",
             "broker_cpu_percent", "loadgen_cpu_percent", "broker_rss_peak_kb",
             "handshakes_per_s", "resumed_fraction", "connect_p50_us", "connect_p99_us")
SOCKET_PROFILE = ("TCP_NODELAY on every connection: ringmq-bench sets it on its sockets, ringmq "
                  "sets it on accepted sockets, Mosquitto runs with set_tcp_nodelay true; other "
                  "brokers as their own configuration says")
# ringmq's fixed-rate latency target: p50 and p99 at most this much over the trivial forwarder's.
FLOOR_TARGET_PERCENT = 10.0
FLOOR_LATENCY_KEYS = ("p50_us", "p99_us")
FLOOR_NOTE = ("floor: ringmq-forwarder, a trivial forwarder (one thread, epoll, copies each "
              "PUBLISH's bytes to its subscribers with no topic matching), run in the fixed-rate "
              "scenarios only; 'ringmq over floor' is ringmq's p50 / p99 over the forwarder's "
              f"in this run; target: within {FLOOR_TARGET_PERCENT:.0f} %")
NO_FLOOR_NOTE = "floor reference left out ({reason}): latency is not compared against a floor"
TLS_PROFILE = ("TLS: every TLS listener has the same {key} server certificate for 127.0.0.1, "
               "signed by a CA made for this run, which ringmq-bench verifies (--cafile); "
               "OpenSSL's defaults otherwise (TLS 1.3 when both sides have it). Handshake "
               "scenarios: {clients} clients each connecting, completing CONNECT/CONNACK, "
               "sending DISCONNECT and reconnecting at once; 'resumed' offers each client's "
               "latest session (--tls-resume)")


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def summarize(runs, scenarios, broker_names):
    """{scenario: {broker: {metric: median or worst, "runs": n, "ok": n}}}."""
    result = {}
    for scenario in scenarios:
        per_broker = {}
        for name in broker_names:
            mine = [r for r in runs if r["scenario"] == scenario.name and r["broker"] == name]
            good = [r["figures"] for r in mine if r["ok"] and r["figures"]]
            summary = {"runs": len(mine), "ok": len(good)}
            for key in MEDIAN_OF:
                values = [f[key] for f in good if _number(f.get(key))]
                summary[key] = statistics.median(values) if values else None
            for key in WORST_OF:
                values = [f[key] for f in good if _number(f.get(key))]
                summary[key] = max(values) if values else None
            summary["errors"] = sorted({r["error"] for r in mine if r["error"]})
            per_broker[name] = summary
        result[scenario.name] = per_broker
    return result


def ratios(medians, scenarios, broker_names):
    """{scenario: {other broker: {metric: ringmq / other}}} for the scenario's table metrics;
    None where either figure is missing or the other's is zero."""
    result = {}
    for scenario in scenarios:
        ringmq = medians[scenario.name].get("ringmq", {})
        per_other = {}
        for name in broker_names:
            if name == "ringmq":
                continue
            other = medians[scenario.name].get(name, {})
            per_metric = {}
            for key, _, higher_is_better in METRICS[scenario.mode]:
                if higher_is_better is None:
                    continue
                mine, theirs = ringmq.get(key), other.get(key)
                per_metric[key] = (mine / theirs if _number(mine) and _number(theirs) and theirs
                                   else None)
            per_other[name] = per_metric
        result[scenario.name] = per_other
    return result


def over_floor(medians, scenarios, floor_name):
    """{latency scenario: {"p50_us": %, "p99_us": %}}: how much ringmq's latency exceeds the
    floor's, in percent (negative: below it); None where either figure is missing."""
    result = {}
    if floor_name is None:
        return result
    for scenario in scenarios:
        if scenario.mode != "latency":
            continue
        ringmq = medians[scenario.name].get("ringmq", {})
        floor = medians[scenario.name].get(floor_name, {})
        per_key = {}
        for key in FLOOR_LATENCY_KEYS:
            mine, base = ringmq.get(key), floor.get(key)
            per_key[key] = ((mine - base) / base * 100.0 if _number(mine) and _number(base)
                            and base > 0 else None)
        result[scenario.name] = per_key
    return result


def tls_over_plain(medians, scenarios, broker_names):
    """{TLS scenario: {broker: its deliveries/s over TLS / its deliveries/s over plain TCP}} for
    TLS scenarios with a plain counterpart in the run; None where either is missing."""
    names = {s.name for s in scenarios}
    result = {}
    for scenario in scenarios:
        if not scenario.plain or scenario.plain not in names:
            continue
        per_broker = {}
        for name in broker_names:
            tls = medians[scenario.name].get(name, {})
            plain = medians[scenario.plain].get(name, {})
            if tls.get("runs", 0) == 0:
                continue
            mine, base = tls.get("deliveries_per_s"), plain.get("deliveries_per_s")
            per_broker[name] = mine / base if _number(mine) and _number(base) and base else None
        result[scenario.name] = per_broker
    return result


def tls_table(tls_map, scenarios):
    """TLS throughput over plain, per broker."""
    titles = {s.name: s for s in scenarios}
    header = ["scenario", "broker", "TLS / plain deliveries/s"]
    rows = [[titles[name].title, broker, _fmt_ratio(ratio)]
            for name, per_broker in tls_map.items() for broker, ratio in per_broker.items()]
    return _table(header, rows)


def within_floor_target(percent):
    return _number(percent) and percent <= FLOOR_TARGET_PERCENT


def _fmt_over_floor(percent):
    if not _number(percent):
        return "-"
    verdict = "met" if within_floor_target(percent) else "NOT met"
    return f"{percent:+.0f} % ({verdict})"


def _fmt(key, value):
    if not _number(value):
        return "-"
    if key.endswith("_fraction"):
        return f"{value * 100:.1f} %"
    if key.endswith("_us"):
        return f"{value:,.1f}"
    if key.endswith("_s") and not key.endswith("per_s"):
        return f"{value:.3f}"
    return f"{value:,.0f}"


def _fmt_ratio(value):
    if not _number(value):
        return "-"
    return f"{value:.2f}x" if value >= 0.1 else f"{value:.2g}x"


def _table(header, rows):
    widths = [max(len(str(row[i])) for row in [header] + rows) for i in range(len(header))]
    lines = ["  ".join(str(cell).ljust(widths[i]) if i < 2 else str(cell).rjust(widths[i])
                       for i, cell in enumerate(row)).rstrip() for row in [header] + rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _cell(summary, key):
    if summary["runs"] == 0:
        return "-"  # not run in this scenario (the forwarder outside the fixed-rate ones)
    return _fmt(key, summary.get(key)) if summary["ok"] else "failed"


def main_table(medians, ratio_map, scenarios, broker_names, skipped=(), floor_name=None,
               floor_map=None, references=()):
    """Every broker's figure, ringmq / each rival, and ringmq over the floor (when given).
    `references` (and `floor_name`) get a figure column but no ratio column."""
    others = [n for n in broker_names if n not in ("ringmq", floor_name) and n not in references]
    header = ["scenario", "metric"] + broker_names + [f"ringmq/{n}" for n in others]
    if floor_name is not None:
        header.append(f"ringmq over floor (target <= +{FLOOR_TARGET_PERCENT:.0f} %)")
    rows = []
    for scenario in scenarios:
        for key, label, _ in METRICS[scenario.mode]:
            row = [scenario.title, label]
            row += [_cell(medians[scenario.name][name], key) for name in broker_names]
            row += [_fmt_ratio(ratio_map[scenario.name][name].get(key)) for name in others]
            if floor_name is not None:
                row.append(_fmt_over_floor((floor_map or {}).get(scenario.name, {}).get(key)))
            rows.append(row)
    for name, _ in skipped:
        rows.append([name, "skipped (see below)"] + ["-"] * (len(header) - 2))
    return _table(header, rows)


def detail_table(medians, scenarios, broker_names):
    header = ["scenario", "broker", "broker CPU %", "loadgen CPU %", "broker RSS peak MB",
              "lost", "dup", "reordered", "runs ok"]
    rows = []
    for scenario in scenarios:
        for name in broker_names:
            s = medians[scenario.name][name]
            if s["runs"] == 0:
                continue
            peak = s.get("broker_rss_peak_kb")
            rows.append([scenario.title, name, _fmt("", s.get("broker_cpu_percent")),
                         _fmt("", s.get("loadgen_cpu_percent")),
                         f"{peak / 1024:.1f}" if _number(peak) else "-",
                         _fmt("", s.get("lost")), _fmt("", s.get("duplicated")),
                         _fmt("", s.get("out_of_order")), f"{s['ok']}/{s['runs']}"])
    return _table(header, rows)


def machine():
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            model = next((line.split(":", 1)[1].strip() for line in cpuinfo
                          if line.startswith("model name")), "")
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu_model": model, "kernel": platform.release(),
            "os": platform.platform(), "python": platform.python_version()}


def write_json(path, document):
    with open(path, "w", encoding="utf-8") as out:
        json.dump(document, out, indent=2, sort_keys=True)
        out.write("\n")


def floor_document(floor_spec, floor_reason, medians, floor_map):
    """results.json's `floor`: the forwarder's figures and ringmq's latency over them."""
    if floor_spec is None:
        return {"available": False, "note": NO_FLOOR_NOTE.format(reason=floor_reason)}
    figures = {name: {key: per_broker.get(floor_spec.name, {}).get(key)
                      for key in FLOOR_LATENCY_KEYS}
               for name, per_broker in medians.items() if name in floor_map}
    return {"available": True, "note": FLOOR_NOTE, "broker": floor_spec.name,
            "command": floor_spec.command, "target_percent": FLOOR_TARGET_PERCENT,
            "figures": figures, "ringmq_over_floor_percent": floor_map,
            "within_target": {name: all(within_floor_target(v) for v in per_key.values())
                              for name, per_key in floor_map.items()}}


def document(options, scenarios, skipped, specs, runs, medians, ratio_map, unavailable,
             floor=None, tls_map=None):
    """Everything results.json holds: config, every raw run, the medians, ratios, floor and TLS
    over plain."""
    return {
        "tls_over_plain": tls_map or {},
        "tool": "bench/compare", "format": 1,
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": machine(),
        "socket_profile": SOCKET_PROFILE,
        "floor": floor or {"available": False, "note": NO_FLOOR_NOTE.format(reason="not run")},
        "config": {"matrix": options.matrix, "repeat": options.repeat, "tls": options.tls,
                   "tls_key_type": options.tls_key_type if options.tls else None,
                   "duration_s": options.duration, "warmup_s": options.warmup,
                   "loadgen": options.loadgen, "loadgen_threads": options.loadgen_threads,
                   "ringmq_threads": options.ringmq_threads},
        "brokers": [{"name": s.name, "command": s.command, "reference": s.reference,
                     "modes": list(s.modes) if s.modes else None,
                     "failed_to_start": unavailable.get(s.name),
                     "tls_args": s.tls_args,
                     "failed_to_start_tls": unavailable.get(f"{s.name}+tls")} for s in specs],
        "scenarios": [{"name": s.name, "title": s.title, "mode": s.mode, "args": s.args,
                       "tls": s.tls, "plain": s.plain} for s in scenarios],
        "skipped": [{"scenario": name, "reason": reason} for name, reason in skipped],
        "runs": runs, "medians": medians, "ratios": ratio_map,
    }
