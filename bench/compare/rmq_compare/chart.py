"""chart.png: throughput bars per scenario and latency p50/p99 per broker (matplotlib)."""

import math


def _value(medians, scenario, broker, key):
    value = medians[scenario.name].get(broker, {}).get(key)
    return value if isinstance(value, (int, float)) and math.isfinite(value) else 0.0


def _draw_floor(axis, medians, latency, floor_name, group_width, width):
    """The floor's p50 (solid) and p99 (dashed) as black lines across each scenario's bars."""
    for key, style, label in (("p50_us", "-", "floor p50"), ("p99_us", "--", "floor p99")):
        for x, scenario in enumerate(latency):
            value = _value(medians, scenario, floor_name, key)
            if value > 0:
                axis.hlines(value, x - width / 2, x - width / 2 + group_width, colors="black",
                            linestyles=style, linewidth=1.5, label=label if x == 0 else None)


def _draw_handshakes(axis, medians, handshake, broker_names, width):
    """TLS handshakes per second (connect, CONNACK, DISCONNECT), full and resumed."""
    for i, broker in enumerate(broker_names):
        xs = [x + i * width for x in range(len(handshake))]
        axis.bar(xs, [_value(medians, s, broker, "handshakes_per_s") for s in handshake], width,
                 label=broker)
    axis.set_xticks([x + width * (len(broker_names) - 1) / 2 for x in range(len(handshake))])
    axis.set_xticklabels([s.title for s in handshake], fontsize=8)
    axis.set_ylabel("handshakes/s")
    axis.set_title("TLS connection setups per second, each with MQTT CONNECT/CONNACK (median)")
    axis.legend()


def write(path, medians, scenarios, broker_names, subtitle, floor_name=None):
    """Writes the chart; returns '' or why it was not written (matplotlib missing). The floor
    (`floor_name`, the trivial forwarder) is drawn as reference lines, not as bars."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "python3-matplotlib is not installed (apt-get install python3-matplotlib)"
    throughput = [s for s in scenarios if s.mode == "throughput"]
    latency = [s for s in scenarios if s.mode == "latency"]
    handshake = [s for s in scenarios if s.mode == "handshake"]
    panels = [p for p in (throughput, latency, handshake) if p]
    if not panels:
        return "no throughput, latency or handshake scenario to chart"
    broker_names = [name for name in broker_names if name != floor_name]
    figure, axes = plt.subplots(len(panels), 1, figsize=(11, 4.5 * len(panels)), squeeze=False)
    width = 0.8 / max(1, len(broker_names))
    row = 0
    if throughput:
        axis = axes[row][0]
        row += 1
        for i, broker in enumerate(broker_names):
            xs = [x + i * width for x in range(len(throughput))]
            ys = [_value(medians, s, broker, "deliveries_per_s") for s in throughput]
            axis.bar(xs, ys, width, label=broker)
        axis.set_xticks([x + width * (len(broker_names) - 1) / 2 for x in range(len(throughput))])
        axis.set_xticklabels([s.title for s in throughput], fontsize=8)
        axis.set_yscale("log")
        axis.set_ylabel("deliveries/s (log)")
        axis.set_title("Throughput, as fast as the window allows (median)")
        axis.legend()
    if latency:
        axis = axes[row][0]
        for i, broker in enumerate(broker_names):
            xs = [x + i * width for x in range(len(latency))]
            p50 = [_value(medians, s, broker, "p50_us") for s in latency]
            p99 = [_value(medians, s, broker, "p99_us") for s in latency]
            bars = axis.bar(xs, p99, width, alpha=0.35, label=f"{broker} p99")
            axis.bar(xs, p50, width, color=bars.patches[0].get_facecolor()[:3] if bars.patches
                     else None, label=f"{broker} p50")
        if floor_name is not None:
            _draw_floor(axis, medians, latency, floor_name, width * len(broker_names), width)
        axis.set_xticks([x + width * (len(broker_names) - 1) / 2 for x in range(len(latency))])
        axis.set_xticklabels([s.title for s in latency], fontsize=8)
        axis.set_yscale("log")
        axis.set_ylabel("end-to-end latency, us (log)")
        axis.set_title("Latency at a fixed 20k deliveries/s: p50 (solid) and p99 (light)"
                       + ("; black lines: the trivial forwarder (floor)" if floor_name else ""))
        axis.legend(fontsize=7, ncol=len(broker_names) + 1)
        row += 1
    if handshake:
        _draw_handshakes(axes[row][0], medians, handshake, broker_names, width)
    figure.suptitle(subtitle, fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return ""
