#!/usr/bin/python3
"""Runs `bench/compare/run --quick` against the real ringmq and Mosquitto (plus a broker that
cannot start) and checks its exit status, results.json and table, and its bad-flag handling.

usage: compare_quick_test.py RUN RINGMQ RINGMQ_BENCH MOSQUITTO
"""

import importlib.util
import json
import math
import os
import subprocess
import sys
import tempfile
import unittest

RUN, RINGMQ, LOADGEN, MOSQUITTO = (sys.argv[1:5] + [""] * 4)[:4]
BINARIES = ["--ringmq", RINGMQ, "--loadgen", LOADGEN, "--mosquitto", MOSQUITTO]


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
        self.assertEqual(names, ["ringmq", "mosquitto", "broken"])
        scenarios = [s["name"] for s in self.results["scenarios"]]
        self.assertEqual(len(scenarios), 2)
        for scenario in scenarios:
            for broker in ("ringmq", "mosquitto"):
                summary = self.results["medians"][scenario][broker]
                self.assertEqual(summary["ok"], 1, summary["errors"])
        modes = {s["mode"] for s in self.results["scenarios"]}
        self.assertEqual(modes, {"throughput", "latency"})

    def test_raw_runs_are_kept(self):
        ok_runs = [r for r in self.results["runs"] if r["ok"]]
        self.assertEqual(len(ok_runs), 4)
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


if __name__ == "__main__":
    if not MOSQUITTO or not os.access(MOSQUITTO, os.X_OK):
        print("mosquitto is not installed: skipped")
        sys.exit(77)
    unittest.main(argv=sys.argv[:1], verbosity=2)
