"""bench/compare/run: start each broker in turn, run the matrix, print and write the results."""

import os
import subprocess
import sys
import tempfile

from . import brokers, chart, matrix, options as flags, report, runner, tls_files


def _check_brokers(specs, options):
    """Leaves out Mosquitto when it is not installed and the forwarder when it is not built,
    saying so; ringmq is always run."""
    kept = []
    for spec in specs:
        if spec.kind == "mosquitto" and not (options.mosquitto and
                                             os.access(options.mosquitto, os.X_OK)):
            print("bench/compare/run: mosquitto not found (apt-get install mosquitto or "
                  "--mosquitto PATH); running without it", file=sys.stderr)
            continue
        if spec.kind == "forwarder" and not (options.forwarder and
                                             os.access(options.forwarder, os.X_OK)):
            where = options.forwarder or "nothing built"
            print(f"bench/compare/run: ringmq-forwarder not found ({where}; build the release "
                  "preset or pass --forwarder PATH); running without the floor reference",
                  file=sys.stderr)
            continue
        kept.append(spec)
    return kept


def _floor(specs, options, unavailable):
    """(the forwarder's spec or None, why there is no floor)."""
    spec = next((s for s in specs if s.reference), None)
    if spec is not None and spec.name not in unavailable:
        return spec, ""
    if spec is not None:
        return None, f"ringmq-forwarder did not start: {unavailable[spec.name]}"
    return None, "--no-forwarder" if options.forwarder is None else "ringmq-forwarder not built"


def _make_tls_files(scenarios, skipped, options, conf_dir):
    """The run's CA and server certificate when a scenario needs TLS; without openssl, the TLS
    scenarios move to `skipped`. Returns (files or None, scenarios left)."""
    tls = [s for s in scenarios if s.tls]
    if not tls:
        return None, scenarios
    try:
        return tls_files.make(conf_dir, options.tls_key_type), scenarios
    except (OSError, RuntimeError, subprocess.SubprocessError) as error:
        skipped += [(s.name, f"no TLS certificate: {error}") for s in tls]
        return None, [s for s in scenarios if not s.tls]


def main(argv):
    options = flags.parse_or_exit(argv)
    scenarios, skipped = matrix.build(options.matrix, options.tls)
    os.makedirs(options.out_dir, exist_ok=True)
    dirs = {"logs": os.path.join(options.out_dir, "logs")}
    os.makedirs(dirs["logs"], exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="rmq-compare-") as conf_dir:
        dirs["conf"] = conf_dir
        dirs["tls"], scenarios = _make_tls_files(scenarios, skipped, options, conf_dir)
        specs = _check_brokers(brokers.specs(options, conf_dir), options)
        for name, reason in skipped:
            print(f"bench/compare/run: {name} skipped: {reason}", file=sys.stderr)
        runs, unavailable = runner.run_matrix(options, scenarios, specs, dirs)
    names = [s.name for s in specs]
    medians = report.summarize(runs, scenarios, names)
    ratio_map = report.ratios(medians, scenarios, [s.name for s in specs if not s.reference])
    floor_spec, floor_reason = _floor(specs, options, unavailable)
    floor_name = floor_spec.name if floor_spec else None
    floor_map = report.over_floor(medians, scenarios, floor_name)
    tls_map = report.tls_over_plain(medians, scenarios, names)
    document = report.document(options, scenarios, skipped, specs, runs, medians, ratio_map,
                               unavailable,
                               report.floor_document(floor_spec, floor_reason, medians, floor_map),
                               tls_map)
    json_path = os.path.join(options.out_dir, "results.json")
    report.write_json(json_path, document)
    subtitle = (f"{document['date']}, {document['machine']['cpus']} CPUs, median of "
                f"{options.repeat}, {options.duration:g} s per run, TCP_NODELAY")
    chart_path = os.path.join(options.out_dir, "chart.png")
    chart_problem = chart.write(chart_path, medians, scenarios, names, subtitle, floor_name)

    print(f"Socket profile: {report.SOCKET_PROFILE}.")
    if any(s.tls for s in scenarios):
        print(report.TLS_PROFILE.format(key=tls_files.DESCRIPTION[options.tls_key_type],
                                        clients=matrix.HANDSHAKE_CLIENTS) + ".")
    print(f"Median of {options.repeat} run(s), {options.duration:g} s measured after "
          f"{options.warmup:g} s warm-up; ratios are ringmq / other (throughput: higher is "
          "better for ringmq; latency, time and RSS: lower is).")
    print()
    print(report.main_table(medians, ratio_map, scenarios, names, skipped, floor_name,
                            floor_map, [s.name for s in specs if s.reference]))
    print()
    print(report.detail_table(medians, scenarios, names))
    print()
    if tls_map:
        print(report.tls_table(tls_map, scenarios))
        print()
    for name, reason in skipped:
        print(f"skipped {name}: {reason}")
    for name, error in unavailable.items():
        label = f"{name[:-4]} with a TLS listener" if name.endswith("+tls") else name
        print(f"{label} did not start: {error}")
    print(f"{document['floor']['note']}.")
    print(f"results: {json_path}")
    if chart_problem:
        print(f"warning: chart not written: {chart_problem}", file=sys.stderr)
    else:
        print(f"chart: {chart_path}")
    return 0
