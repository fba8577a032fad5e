#!/usr/bin/python3
"""Unit tests of bench/compare's flag parsing, matrix, medians and ratios (no broker runs).

usage: compare_unit_test.py BENCH_COMPARE_DIR
"""

import importlib.util
import os
import sys
import tempfile
import unittest

sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else "bench/compare")

import subprocess  # noqa: E402

from rmq_compare import brokers, chart, matrix, options, report, runner, tls_files  # noqa: E402

EXE = ["--ringmq", "/bin/true", "--loadgen", "/bin/true", "--mosquitto", "/bin/true",
       "--forwarder", "/bin/true"]


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

    def test_forwarder_is_on_unless_no_forwarder(self):
        self.assertEqual(options.parse(EXE).forwarder, "/bin/true")
        self.assertIsNone(options.parse(["--no-forwarder"] + EXE).forwarder)
        with self.assertRaises(options.FlagError):
            options.parse(["--broker", "forwarder=x {port}"] + EXE)

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


class BrokerSpecTest(unittest.TestCase):
    def test_forwarder_comes_last_and_runs_only_fixed_rate_scenarios(self):
        parsed = options.parse(["--broker", "other=x {port}"] + EXE)
        specs = brokers.specs(parsed, "/tmp")
        self.assertEqual([s.name for s in specs], ["ringmq", "mosquitto", "other", "forwarder"])
        forwarder = specs[-1]
        self.assertTrue(forwarder.reference)
        self.assertEqual(forwarder.command, ["/bin/true", "--listen", "127.0.0.1:{port}"])
        for scenario in matrix.build("standard")[0]:
            self.assertEqual(forwarder.runs(scenario), scenario.mode == "latency", scenario.name)
            self.assertTrue(specs[0].runs(scenario))

    def test_no_forwarder_leaves_it_out(self):
        specs = brokers.specs(options.parse(["--no-forwarder"] + EXE), "/tmp")
        self.assertEqual([s.name for s in specs], ["ringmq", "mosquitto"])


class RunMatrixTest(unittest.TestCase):
    def test_forwarder_is_interleaved_in_fixed_rate_scenarios_only(self):
        parsed = options.parse(["--quick", "--repeat", "2"] + EXE)
        specs = brokers.specs(parsed, "/tmp")
        scenarios = matrix.build("quick")[0]
        calls = []

        def fake_run(_options, scenario, spec, repeat, _dirs):
            calls.append((scenario.name, repeat, spec.name))
            return {"scenario": scenario.name, "broker": spec.name, "repeat": repeat, "ok": True,
                    "error": "", "figures": {}}

        saved = runner._one_run
        runner._one_run = fake_run
        try:
            runs, unavailable = runner.run_matrix(parsed, scenarios, specs, {})
        finally:
            runner._one_run = saved
        self.assertEqual(unavailable, {})
        self.assertEqual(len(runs), len(calls))
        throughput, latency = scenarios
        self.assertEqual(calls, [
            (throughput.name, 0, "ringmq"), (throughput.name, 0, "mosquitto"),
            (throughput.name, 1, "ringmq"), (throughput.name, 1, "mosquitto"),
            (latency.name, 0, "ringmq"), (latency.name, 0, "mosquitto"),
            (latency.name, 0, "forwarder"), (latency.name, 1, "ringmq"),
            (latency.name, 1, "mosquitto"), (latency.name, 1, "forwarder")])


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


def _latency_run(scenario, broker, p50, p99):
    return {"scenario": scenario, "broker": broker, "ok": True, "error": "",
            "figures": {"p50_us": p50, "p99_us": p99}}


class FloorTest(unittest.TestCase):
    def setUp(self):
        self.scenarios = matrix.build("quick")[0]  # one throughput, one latency scenario
        self.throughput, self.latency = (s.name for s in self.scenarios)
        self.names = ["ringmq", "mosquitto", "forwarder"]
        runs = [_run(self.throughput, "ringmq", 300.0), _run(self.throughput, "mosquitto", 30.0),
                _latency_run(self.latency, "ringmq", 55.0, 130.0),
                _latency_run(self.latency, "mosquitto", 60.0, 150.0),
                _latency_run(self.latency, "forwarder", 50.0, 100.0)]
        self.medians = report.summarize(runs, self.scenarios, self.names)
        self.ratios = report.ratios(self.medians, self.scenarios, ["ringmq", "mosquitto"])
        self.floor = report.over_floor(self.medians, self.scenarios, "forwarder")

    def test_percent_over_floor_per_latency_scenario(self):
        self.assertEqual(list(self.floor), [self.latency])
        self.assertAlmostEqual(self.floor[self.latency]["p50_us"], 10.0)
        self.assertAlmostEqual(self.floor[self.latency]["p99_us"], 30.0)
        self.assertNotIn("forwarder", self.ratios[self.latency])

    def test_table_shows_floor_column_and_verdicts(self):
        table = report.main_table(self.medians, self.ratios, self.scenarios, self.names, (),
                                  "forwarder", self.floor)
        header = table.splitlines()[0]
        self.assertIn("ringmq over floor (target <= +10 %)", header)
        self.assertNotIn("ringmq/forwarder", header)
        self.assertIn("+10 % (met)", table)
        self.assertIn("+30 % (NOT met)", table)
        throughput_row = next(line for line in table.splitlines() if "deliveries/s" in line)
        self.assertNotIn("failed", throughput_row)  # the forwarder did not run there: "-"
        detail = report.detail_table(self.medians, self.scenarios, self.names)
        self.assertEqual(sum("forwarder" in line for line in detail.splitlines()), 1)

    def test_forwarder_that_did_not_start_has_no_floor_or_ratio_column(self):
        table = report.main_table(self.medians, self.ratios, self.scenarios, self.names, (),
                                  None, {}, ["forwarder"])
        self.assertNotIn("over floor", table)
        self.assertNotIn("ringmq/forwarder", table)
        self.assertIn("ringmq/mosquitto", table)

    def test_json_carries_floor_figures_and_verdict(self):
        spec = brokers.BrokerSpec("forwarder", ["fwd"], "forwarder", ("latency",))
        floor = report.floor_document(spec, "", self.medians, self.floor)
        self.assertTrue(floor["available"])
        self.assertEqual(floor["figures"][self.latency], {"p50_us": 50.0, "p99_us": 100.0})
        self.assertEqual(floor["target_percent"], 10.0)
        self.assertFalse(floor["within_target"][self.latency])
        missing = report.floor_document(None, "--no-forwarder", self.medians, {})
        self.assertFalse(missing["available"])
        self.assertIn("--no-forwarder", missing["note"])


class ChartTest(unittest.TestCase):
    @unittest.skipIf(importlib.util.find_spec("matplotlib") is None, "no python3-matplotlib")
    def test_floor_is_drawn_as_reference_lines(self):
        floor = FloorTest()
        floor.setUp()
        with tempfile.TemporaryDirectory() as out:
            path = os.path.join(out, "chart.png")
            self.assertEqual(chart.write(path, floor.medians, floor.scenarios, floor.names, "",
                                         "forwarder"), "")
            with open(path, "rb") as png:
                self.assertEqual(png.read(8), b"\x89PNG\r\n\x1a\n")

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


class TlsOptionsTest(unittest.TestCase):
    def test_tls_adds_scenarios_and_matrix_tls_implies_it(self):
        self.assertFalse(options.parse(EXE).tls)
        parsed = options.parse(["--tls"] + EXE)
        self.assertEqual((parsed.matrix, parsed.tls, parsed.tls_key_type),
                         ("standard", True, "p256"))
        parsed = options.parse(["--quick", "--matrix", "tls", "--tls-key-type", "rsa2048"] + EXE)
        self.assertEqual((parsed.matrix, parsed.tls, parsed.repeat, parsed.duration),
                         ("tls", True, 1, 2.0))
        self.assertEqual(parsed.tls_key_type, "rsa2048")
        self.assertEqual(options.parse(["--quick", "--tls"] + EXE).matrix, "quick")
        with self.assertRaises(options.FlagError):
            options.parse(["--tls-key-type", "dsa"] + EXE)


class TlsMatrixTest(unittest.TestCase):
    def test_tls_matrix_is_handshakes_and_fanin_both_ways(self):
        scenarios, skipped = matrix.build("tls")
        self.assertEqual(skipped, [])
        self.assertEqual([(s.name, s.mode, s.tls) for s in scenarios], [
            ("tls-handshake-full", "handshake", True),
            ("tls-handshake-resumed", "handshake", True),
            ("fanin-16B-max", "throughput", False),
            ("fanin-16B-max-tls", "throughput", True)])
        full, resumed, plain, fanin = scenarios
        self.assertEqual(full.args[0], "reconnect")
        self.assertNotIn("--tls-resume", full.args)
        self.assertEqual(resumed.args, full.args + ["--tls-resume"])
        self.assertEqual(fanin.args, plain.args + ["--tls", "--cafile", "{cafile}"])
        self.assertEqual(fanin.plain, plain.name)
        for scenario in (full, resumed):
            self.assertIn("{cafile}", scenario.args)

    def test_tls_is_added_once_beside_other_matrices(self):
        for name in ("quick", "standard"):
            plain = [s.name for s in matrix.build(name)[0]]
            with_tls = [s.name for s in matrix.build(name, tls=True)[0]]
            self.assertEqual(with_tls[:len(plain)], plain)
            self.assertEqual(with_tls.count("fanin-16B-max"), 1)
            self.assertEqual(with_tls[len(plain):], ["tls-handshake-full",
                                                     "tls-handshake-resumed",
                                                     "fanin-16B-max-tls"])

    def test_loadgen_gets_the_ca_and_the_tls_port(self):
        scenario = matrix.build("tls")[0][0]
        parsed = options.parse(["--matrix", "tls"] + EXE)
        argv = runner._loadgen_argv(parsed, scenario, 4242, 7, {"ca": "/x/ca.crt"})
        self.assertNotIn("{cafile}", argv)
        self.assertEqual(argv[argv.index("--cafile") + 1], "/x/ca.crt")
        self.assertEqual(argv[argv.index("--port") + 1], "4242")


class TlsBrokerTest(unittest.TestCase):
    def test_who_runs_tls_scenarios(self):
        parsed = options.parse(["--matrix", "tls", "--broker", "plainonly=x {port}", "--broker",
                                "both=x {port} --tls {tls_port}"] + EXE)
        specs = {s.name: s for s in brokers.specs(parsed, "/tmp")}
        tls = next(s for s in matrix.build("tls")[0] if s.tls)
        self.assertTrue(specs["ringmq"].runs(tls))
        self.assertIn("--tls-listen", specs["ringmq"].tls_args)
        self.assertTrue(specs["mosquitto"].runs(tls))
        self.assertTrue(specs["both"].runs(tls))
        self.assertFalse(specs["plainonly"].runs(tls))
        self.assertFalse(specs["forwarder"].runs(tls))

    def test_tls_listener_in_commands_and_mosquitto_config(self):
        files = {"ca": "/t/ca.crt", "cert": "/t/server.crt", "key": "/t/server.key"}
        with tempfile.TemporaryDirectory() as out:
            log = os.path.join(out, "log")
            conf = os.path.join(out, "m-{port}.conf")
            mosquitto = brokers.BrokerSpec("mosquitto", ["/bin/true", "-c", conf], "mosquitto",
                                           tls_args=[])
            broker = brokers.RunningBroker(mosquitto, 1111, log, None, tls=files, tls_port=2222)
            broker.stop()
            with open(os.path.join(out, "m-1111.conf"), encoding="utf-8") as text:
                written = text.read()
            self.assertIn("listener 1111 127.0.0.1", written)
            self.assertIn("listener 2222 127.0.0.1\ncafile /t/ca.crt\ncertfile /t/server.crt\n"
                          "keyfile /t/server.key", written)
            ringmq = brokers.ringmq_spec("/bin/true", [])
            broker = brokers.RunningBroker(ringmq, 1111, log, None, tls=files, tls_port=2222)
            broker.stop()
            self.assertEqual(broker.argv[-6:], ["--tls-listen", "127.0.0.1:2222", "--tls-cert",
                                                "/t/server.crt", "--tls-key", "/t/server.key"])
            plain = brokers.RunningBroker(ringmq, 1111, log, None)
            plain.stop()
            self.assertNotIn("--tls-listen", plain.argv)

    def test_generated_certificate_verifies_for_127_0_0_1(self):
        with tempfile.TemporaryDirectory() as out:
            files = tls_files.make(out, "p256")
            done = subprocess.run(["openssl", "verify", "-CAfile", files["ca"], "-verify_ip",
                                   "127.0.0.1", files["cert"]], capture_output=True, text=True)
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertEqual(os.stat(files["key"]).st_mode & 0o777, 0o644)


class TlsRunAndReportTest(unittest.TestCase):
    def test_a_broker_without_tls_still_runs_plain_scenarios(self):
        parsed = options.parse(["--matrix", "tls", "--no-forwarder", "--repeat", "1"] + EXE)
        specs = brokers.specs(parsed, "/tmp")
        scenarios = matrix.build("tls")[0]
        calls = []

        def fake_run(_options, scenario, spec, repeat, _dirs):
            calls.append((scenario.name, spec.name))
            failed = spec.name == "ringmq" and scenario.tls
            return {"scenario": scenario.name, "broker": spec.name, "repeat": repeat,
                    "ok": not failed, "error": "exited" if failed else "", "figures": {},
                    "start_failed": failed}

        saved = runner._one_run
        runner._one_run = fake_run
        try:
            _, unavailable = runner.run_matrix(parsed, scenarios, specs, {})
        finally:
            runner._one_run = saved
        self.assertEqual(unavailable, {"ringmq+tls": "exited"})
        ringmq = [name for name, broker in calls if broker == "ringmq"]
        self.assertEqual(ringmq, ["tls-handshake-full", "fanin-16B-max"])
        self.assertEqual(sum(broker == "mosquitto" for _, broker in calls), 4)

    def test_tls_over_plain_and_handshake_ratios(self):
        scenarios = matrix.build("tls")[0]
        full, _, plain, fanin = scenarios

        def record(scenario, broker, figures):
            return {"scenario": scenario.name, "broker": broker, "ok": True, "error": "",
                    "figures": figures}

        runs = [record(plain, "ringmq", {"deliveries_per_s": 1000.0}),
                record(fanin, "ringmq", {"deliveries_per_s": 250.0}),
                record(plain, "mosquitto", {"deliveries_per_s": 100.0}),
                record(fanin, "mosquitto", {"deliveries_per_s": 50.0}),
                record(full, "ringmq", {"handshakes_per_s": 3000.0, "resumed_fraction": 0.0}),
                record(full, "mosquitto", {"handshakes_per_s": 1000.0,
                                           "resumed_fraction": 0.0})]
        names = ["ringmq", "mosquitto"]
        medians = report.summarize(runs, scenarios, names)
        self.assertEqual(report.tls_over_plain(medians, scenarios, names),
                         {fanin.name: {"ringmq": 0.25, "mosquitto": 0.5}})
        ratios = report.ratios(medians, scenarios, names)
        self.assertEqual(ratios[full.name]["mosquitto"]["handshakes_per_s"], 3.0)
        self.assertNotIn("resumed_fraction", ratios[full.name]["mosquitto"])
        table = report.main_table(medians, ratios, scenarios, names)
        self.assertIn("handshakes/s", table)
        self.assertIn("3.00x", table)
        self.assertIn("0.0 %", table)
        self.assertIn("0.25x", report.tls_table(report.tls_over_plain(medians, scenarios, names),
                                                scenarios))


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
