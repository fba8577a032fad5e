"""Markdown tables of the durability runs (what README.md quotes) and results.json."""

import json
import os
import platform
import re
import time


def _n(value, digits=0):
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def _ratio(mine, theirs):
    if not isinstance(mine, (int, float)) or not isinstance(theirs, (int, float)) or not theirs:
        return "-"
    return f"{mine / theirs:.2f}x"


def throughput_table(summary, titles):
    lines = ["| load | broker | acked publishes/s | deliveries/s | ratio to Mosquitto (acked / "
             "deliveries) | latency p50 / p99 ms | broker CPU % | lost / dup / unacked |",
             "|---|---|---|---|---|---|---|---|"]
    for load, per in summary.items():
        reference = per.get("mosquitto", {})
        for name, s in per.items():
            if not s["ok"]:
                lines.append(f"| {titles[load]} | {name} | failed: {'; '.join(s['errors'])} "
                             "| | | | | |")
                continue
            ratio = ("1" if name == "mosquitto" else
                     f"{_ratio(s['acked_per_s'], reference.get('acked_per_s'))} / "
                     f"{_ratio(s['deliveries_per_s'], reference.get('deliveries_per_s'))}")
            latency = (f"{_n(s['p50_us'] and s['p50_us'] / 1000, 1)} / "
                       f"{_n(s['p99_us'] and s['p99_us'] / 1000, 1)}")
            lines.append(f"| {titles[load]} | {name} | {_n(s['acked_per_s'])} | "
                         f"{_n(s['deliveries_per_s'])} | {ratio} | {latency} | "
                         f"{_n(s['broker_cpu_percent'])} | {_n(s['lost'])} / "
                         f"{_n(s['duplicated'])} / {_n(s['unacked'])} |")
    return "\n".join(lines)


def _stop(record):
    """Signal to exit, ms, and the time the port stayed taken after the exit when it did."""
    held = record.get("port_free_ms") or 0
    return _n(record["stop_ms"]) + (f" (port held {held:.0f} more)" if held >= 1 else "")


def _recovered(record):
    """ringmq's own recovery time and the count its `recovered` line gives for the state."""
    if record.get("recovered_ms") is None:
        return "-"
    key = "queued" if record["state"] == "queued" else "retained"
    match = re.search(rf"\b{key}=(\d+)", record.get("recovered_line", ""))
    return f"{_n(record['recovered_ms'])} ({key}={int(match.group(1)):,})" if match else \
        _n(record["recovered_ms"])


def recovery_table(records):
    lines = ["| state | stopped by | broker | fill msg/s | on disk MB (at stop) | stop ms | "
             "start to accept / CONNACK ms | ringmq `recovered` ms (its count) | back after "
             "restart | RSS MB after start |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in records:
        label = f"{r['count']:,} {'queued QoS 1' if r['state'] == 'queued' else 'retained'}"
        if not r["ok"]:
            lines.append(f"| {label} | {r['signal']} | {r['broker']} | failed: {r['error']} "
                         "| | | | | | |")
            continue
        back = f"{r['distinct']:,}"
        if r.get("duplicated"):
            back += f" (+{r['duplicated']:,} dup)"
        if r["state"] == "queued" and not r.get("session_present"):
            back += " (no session)"
        disk = _n(r["data_bytes_after_stop"] / 1e6, 1)
        rss = _n(r["rss_after_start_kb"] and r["rss_after_start_kb"] / 1024, 0)
        lines.append(f"| {label} | {r['signal']} | {r['broker']} | {_n(r['fill_per_s'])} | "
                     f"{disk} | {_stop(r)} | {_n(r['accept_ms'])} / "
                     f"{_n(r['connack_ms'])} | {_recovered(r)} | {back} | {rss} |")
    return "\n".join(lines)


def stall_table(summary):
    lines = ["| broker | saves / compactions seen (logged) | longest seen s (logged ms) | "
             "max delivery gap ms (worst run) | max gap during compaction ms | max "
             "publish->PUBACK ms (worst run) | p99 publish->PUBACK ms |",
             "|---|---|---|---|---|---|---|"]
    for name, s in summary.items():
        if not s["ok"]:
            lines.append(f"| {name} | failed | | | | | |")
            continue
        lines.append(f"| {name} | {_n(s['compactions_seen'])} ({_n(s['compactions_logged'])}) | "
                     f"{_n(s['longest_compaction_s'], 2)} "
                     f"({_n(s['longest_logged_compaction_ms'])}) | {_n(s['max_gap_ms'], 1)} "
                     f"({_n(s['worst_max_gap_ms'], 1)}) | {_n(s['max_gap_in_compaction_ms'], 1)} "
                     f"| {_n(s['max_ack_ms'], 1)} ({_n(s['worst_max_ack_ms'], 1)}) | "
                     f"{_n(s['p99_ack_ms'], 1)} |")
    return "\n".join(lines)


def machine():
    cpus = os.cpu_count()
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as info:
            model = next((l.split(":", 1)[1].strip() for l in info if l.startswith("model name")),
                         "")
    except OSError:
        pass
    return {"cpus": cpus, "model": model, "kernel": platform.release(),
            "load_average": os.getloadavg()}


def write_json(path, options, parts):
    document = {"format": 1, "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": machine(),
                "config": {k: v for k, v in vars(options).items() if not k.startswith("_")}}
    document.update(parts)
    with open(path, "w", encoding="utf-8") as out:
        json.dump(document, out, indent=1, default=str)
        out.write("\n")
