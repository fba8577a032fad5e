#!/usr/bin/python3
"""Runs `bench/compare/run --quick` against the real ringmq and Mosquitto (plus a broker that
cannot start) and checks its exit status, results.json and table, and its bad-flag handling.

usage: compare_quick_test.py RUN RINGMQ RINGMQ_BENCH MOSQUITTO RINGMQ_FORWARDER
"""

import importlib.util
import json
import math
import os
import subprocess
import sys
import tempfile
import unittest

RUN, RINGMQ, LOADGEN, MOSQUITTO, FORWARDER = (sys.argv[1:6] + [""] * 5)[:5]
BINARIES = ["--ringmq", RINGMQ, "--loadgen", LOADGEN, "--mosquitto", MOSQUITTO,
            "--forwarder", FORWARDER]


def run(args, timeout=200):
    return subprocess.run([RUN] + args, capture_output=True, text=True, timeout=timeout)


class BadFlagsTest(unittest.TestCase):
    def assert_bad(self, args, word):
        done = run(args + BINARIES, timeout=30)
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertEqual(len(done.stderr.strip().splitlines()), 1, done.stderr)
        self.assertIn(word, done.stderr)
        self.assertEqual(done.stdout, "")

    def test_unknown_flag(self):
        self.assert_bad(["--frobnicate"], "--frobnicate")

    def test_zero_repeat(self):
        self.assert_bad(["--repeat", "0"], "--repeat")

    def test_non_numeric_duration(self):
        self.assert_bad(["--duration", "soon"], "--duration")

    def test_broker_without_port_placeholder(self):
        self.assert_bad(["--broker", "flashmq=flashmq --port 1883"], "{port}")

    def test_broker_without_name(self):
        self.assert_bad(["--broker", "=x {port}"], "NAME=COMMAND")

    def test_bad_matrix(self):
        self.assert_bad(["--matrix", "huge"], "--matrix")


class QuickRunTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.out = tempfile.TemporaryDirectory(prefix="compare-test-")
        cls.done = run(["--quick", "--out", cls.out.name, "--broker",
                        "broken=/nonexistent/broker --port {port}"] + BINARIES)
        with open(os.path.join(cls.out.name, "results.json"), encoding="utf-8") as results:
            cls.results = json.load(results)

    @classmethod
    def tearDownClass(cls):
        cls.out.cleanup()

    def test_exits_zero(self):
        self.assertEqual(self.done.returncode, 0, self.done.stderr)

    def test_json_has_every_broker_and_scenario(self):
        names = [b["name"] for b in self.results["brokers"]]
        self.assertEqual(names, ["ringmq", "mosquitto", "broken", "forwarder"])
        scenarios = [s["name"] for s in self.results["scenarios"]]
        self.assertEqual(len(scenarios), 2)
        for scenario in scenarios:
            for broker in ("ringmq", "mosquitto"):
                summary = self.results["medians"][scenario][broker]
                self.assertEqual(summary["ok"], 1, summary["errors"])
        modes = {s["mode"] for s in self.results["scenarios"]}
        self.assertEqual(modes, {"throughput", "latency"})

    def test_forwarder_runs_only_the_fixed_rate_scenario(self):
        for scenario in self.results["scenarios"]:
            summary = self.results["medians"][scenario["name"]]["forwarder"]
            if scenario["mode"] == "latency":
                self.assertEqual(summary["ok"], 1, summary["errors"])
                self.assertGreater(summary["p50_us"], 0)
                self.assertEqual(summary["lost"], 0)
            else:
                self.assertEqual(summary["runs"], 0)
            self.assertNotIn("forwarder", self.results["ratios"][scenario["name"]])

    def test_floor_figures_and_percentages_in_json_and_table(self):
        floor = self.results["floor"]
        self.assertTrue(floor["available"], floor)
        self.assertEqual(floor["target_percent"], 10.0)
        (scenario, percents), = floor["ringmq_over_floor_percent"].items()
        self.assertEqual(set(percents), {"p50_us", "p99_us"})
        for value in percents.values():
            self.assertIsInstance(value, float)
        self.assertGreater(floor["figures"][scenario]["p99_us"], 0)
        self.assertIn("ringmq over floor (target <= +10 %)", self.done.stdout)
        self.assertRegex(self.done.stdout, r"[+-]\d+ % \((met|NOT met)\)")

    def test_raw_runs_are_kept(self):
        ok_runs = [r for r in self.results["runs"] if r["ok"]]
        self.assertEqual(len(ok_runs), 5)
        for record in ok_runs:
            self.assertEqual(record["report"]["tool"], "ringmq-bench")
            self.assertIsNotNone(record["report"]["broker"])  # --broker-pid was given

    def test_ratios_are_numbers(self):
        for scenario, per_other in self.results["ratios"].items():
            ratios = per_other["mosquitto"]
            self.assertTrue(ratios, scenario)
            for metric, value in ratios.items():
                self.assertIsInstance(value, float, f"{scenario} {metric}")
                self.assertTrue(math.isfinite(value) and value > 0, f"{scenario} {metric}")
            self.assertTrue(all(v is None for v in per_other["broken"].values()))

    def test_broker_that_cannot_start_is_reported(self):
        broken = self.results["brokers"][2]
        self.assertIn("did not start", self.done.stdout)
        self.assertTrue(broken["failed_to_start"])
        self.assertIn("/nonexistent/broker", broken["failed_to_start"])

    def test_table_and_socket_profile_on_stdout(self):
        self.assertIn("ringmq/mosquitto", self.done.stdout)
        self.assertIn("deliveries/s", self.done.stdout)
        self.assertIn("TCP_NODELAY", self.done.stdout)
        self.assertIn("loadgen CPU %", self.done.stdout)

    def test_chart_written_when_matplotlib_is_installed(self):
        chart = os.path.join(self.out.name, "chart.png")
        if importlib.util.find_spec("matplotlib") is None:
            self.assertFalse(os.path.exists(chart))
            self.assertIn("chart not written", self.done.stderr)
            return
        with open(chart, "rb") as png:
            self.assertEqual(png.read(8), b"\x89PNG\r\n\x1a\n")


class NoForwarderTest(unittest.TestCase):
    def test_no_forwarder_and_a_missing_forwarder_are_left_out(self):
        for flags, reason in ((["--no-forwarder"], "--no-forwarder"),
                              (["--forwarder", "/nonexistent/fwd"], "not built")):
            with tempfile.TemporaryDirectory(prefix="compare-test-") as out:
                # Mosquitto left out too (the last --mosquitto wins), to keep this short.
                done = run(["--quick", "--duration", "0.5", "--warmup", "0", "--out", out] +
                           BINARIES[:-2] + flags + ["--mosquitto", "/nonexistent/mosquitto"])
                self.assertEqual(done.returncode, 0, done.stderr)
                with open(os.path.join(out, "results.json"), encoding="utf-8") as results:
                    document = json.load(results)
                self.assertEqual([b["name"] for b in document["brokers"]], ["ringmq"])
                self.assertFalse(document["floor"]["available"])
                self.assertIn(reason, document["floor"]["note"])
                self.assertNotIn("over floor", done.stdout)


if __name__ == "__main__":
    if not MOSQUITTO or not os.access(MOSQUITTO, os.X_OK):
        print("mosquitto is not installed: skipped")
        sys.exit(77)
    unittest.main(argv=sys.argv[:1], verbosity=2)

