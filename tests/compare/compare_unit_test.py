#!/usr/bin/python3
"""Unit tests of bench/compare's flag parsing, matrix, medians and ratios (no broker runs).

usage: compare_unit_test.py BENCH_COMPARE_DIR
"""

import os
import sys
import tempfile
import unittest

sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else "bench/compare")

from rmq_compare import chart, matrix, options, report  # noqa: E402

EXE = ["--ringmq", "/bin/true", "--loadgen", "/bin/true", "--mosquitto", "/bin/true"]


class OptionsTest(unittest.TestCase):
    def test_defaults_are_standard_matrix_median_of_three(self):
        parsed = options.parse(EXE)
        self.assertEqual((parsed.matrix, parsed.repeat, parsed.duration), ("standard", 3, 5.0))
        self.assertEqual(parsed.ringmq_threads, 0)

    def test_quick_is_two_seconds_once_unless_overridden(self):
        parsed = options.parse(["--quick"] + EXE)
        self.assertEqual((parsed.matrix, parsed.repeat, parsed.duration), ("quick", 1, 2.0))
        parsed = options.parse(["--quick", "--repeat", "2", "--duration", "3"] + EXE)
        self.assertEqual((parsed.repeat, parsed.duration), (2, 3.0))

    def test_extra_brokers_keep_their_command(self):
        parsed = options.parse(["--broker", "flashmq=flashmq --port {port}", "--broker",
                                "nano_mq=nanomq start --url tcp://127.0.0.1:{port}"] + EXE)
        self.assertEqual([(b.name, b.command) for b in parsed.extra_brokers],
                         [("flashmq", "flashmq --port {port}"),
                          ("nano_mq", "nanomq start --url tcp://127.0.0.1:{port}")])

    def test_bad_flags_raise(self):
        for args in (["--repeat", "0"], ["--duration", "0"], ["--duration", "x"],
                     ["--broker", "a=b"], ["--broker", "ringmq=x {port}"],
                     ["--broker", "a b=x {port}"], ["--broker", "a=x {port}", "--broker",
                                                    "a=y {port}"],
                     ["--loadgen-threads", "0"], ["--nope"]):
            with self.assertRaises(options.FlagError, msg=str(args)):
                options.parse(args + EXE)

    def test_missing_binary_is_a_flag_error(self):
        with self.assertRaises(options.FlagError):
            options.parse(["--ringmq", "/nonexistent/ringmq", "--loadgen", "/bin/true"])


class MatrixTest(unittest.TestCase):
    def test_standard_matrix_has_every_load_both_ways(self):
        scenarios, skipped = matrix.build("standard")
        names = [s.name for s in scenarios]
        for load in ("fanin-16B", "fanin-1KiB", "fanout-16B", "pairs-qos1-16B"):
            self.assertIn(f"{load}-max", names)
            self.assertIn(f"{load}-20k/s", names)
        conn = {s.name for s in scenarios if s.mode == "conn"} | {n for n, _ in skipped}
        self.assertEqual(conn, {"conn-10k", "conn-50k"})

    def test_fixed_rate_is_20k_deliveries_per_second(self):
        for scenario in matrix.build("standard")[0]:
            if scenario.mode != "latency":
                continue
            rate = int(scenario.args[scenario.args.index("--rate") + 1])
            receivers_per_message = 50 if scenario.args[0] == "fanout" else 1
            publishers = 1 if scenario.args[0] == "fanout" else 50
            self.assertEqual(rate * publishers * receivers_per_message, 20000, scenario.name)

    def test_quick_matrix_is_two_scenarios(self):
        scenarios, skipped = matrix.build("quick")
        self.assertEqual(len(scenarios), 2)
        self.assertEqual(skipped, [])


def _run(scenario, broker, rate, ok=True, lost=0):
    return {"scenario": scenario, "broker": broker, "ok": ok, "error": "" if ok else "boom",
            "figures": {"deliveries_per_s": rate, "lost": lost}}


class SummaryTest(unittest.TestCase):
    def setUp(self):
        self.scenarios = [s for s in matrix.build("quick")[0] if s.mode == "throughput"]
        name = self.scenarios[0].name
        self.runs = [_run(name, "ringmq", 300.0), _run(name, "ringmq", 100.0),
                     _run(name, "ringmq", 200.0, lost=7), _run(name, "other", 50.0),
                     _run(name, "other", 10.0, ok=False), _run(name, "zero", 0.0)]

    def test_median_of_good_runs_and_worst_loss(self):
        medians = report.summarize(self.runs, self.scenarios, ["ringmq", "other", "zero"])
        ringmq = medians[self.scenarios[0].name]["ringmq"]
        self.assertEqual((ringmq["deliveries_per_s"], ringmq["lost"], ringmq["ok"]),
                         (200.0, 7, 3))
        other = medians[self.scenarios[0].name]["other"]
        self.assertEqual((other["deliveries_per_s"], other["ok"], other["runs"]), (50.0, 1, 2))
        self.assertEqual(other["errors"], ["boom"])

    def test_ratio_is_ringmq_over_other_and_none_when_undefined(self):
        names = ["ringmq", "other", "zero"]
        medians = report.summarize(self.runs, self.scenarios, names)
        ratios = report.ratios(medians, self.scenarios, names)[self.scenarios[0].name]
        self.assertEqual(ratios["other"]["deliveries_per_s"], 4.0)
        self.assertIsNone(ratios["zero"]["deliveries_per_s"])
        table = report.main_table(medians, {self.scenarios[0].name: ratios}, self.scenarios,
                                  names)
        self.assertIn("4.00x", table)
        self.assertIn("ringmq/zero", table)


class ChartTest(unittest.TestCase):
    def test_missing_matplotlib_skips_the_chart_with_a_reason(self):
        saved = sys.modules.get("matplotlib")
        sys.modules["matplotlib"] = None  # makes `import matplotlib` raise ImportError
        try:
            with tempfile.TemporaryDirectory() as out:
                path = os.path.join(out, "chart.png")
                problem = chart.write(path, {}, [], ["ringmq"], "")
                self.assertIn("python3-matplotlib", problem)
                self.assertFalse(os.path.exists(path))
        finally:
            if saved is None:
                del sys.modules["matplotlib"]
            else:
                sys.modules["matplotlib"] = saved


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
