#!/usr/bin/env bash
# Runs the Eclipse Paho MQTT interoperability suites (client_test.py for 3.1.1, client_test5.py
# for 5.0) against a fresh ringmq on loopback.
#
#   scripts/paho-interop.sh PATH/TO/paho.mqtt.testing [THREADS] [RUNS]
#
# The suite is not part of this repository: clone https://github.com/eclipse/paho.mqtt.testing
# anywhere and pass its path. The broker gets what the suite expects: subscribing to
# test/nosubscribe is refused, and the maximum keep alive is 60 s. THREADS defaults to 1: two of
# the 5.0 tests (test_subscribe_options, test_request_response) subscribe on one connection and
# publish on another without waiting for the SUBACK, which only a broker that handles both
# connections in arrival order can pass every time. Exit code: 0 when every run passed.
set -euo pipefail

suite=${1:?usage: $0 PATH/TO/paho.mqtt.testing [THREADS] [RUNS]}
threads=${2:-1}
runs=${3:-1}
root=$(cd "$(dirname "$0")/.." && pwd)
binary=$root/build/release/broker/ringmq
[[ -x $binary ]] || { echo "paho-interop: build first (cmake --preset release && cmake --build --preset release)" >&2; exit 2; }
[[ -f $suite/interoperability/client_test5.py ]] || { echo "paho-interop: $suite is not a paho.mqtt.testing checkout" >&2; exit 2; }

log=$(mktemp)
"$binary" --listen 127.0.0.1:0 --threads "$threads" --deny-subscribe test/nosubscribe \
  --max-keepalive 60 --log-level info >"$log" 2>&1 &
broker=$!
trap 'kill $broker 2>/dev/null; wait $broker 2>/dev/null; rm -f "$log"' EXIT
port=
for _ in $(seq 100); do
  port=$(sed -n 's/.*ringmq listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -1)
  [[ -n $port ]] && break
  sleep 0.05
done
[[ -n $port ]] || { echo "paho-interop: ringmq did not start:" >&2; cat "$log" >&2; exit 1; }

# The suites read their port from argv through getopt and call unittest.main(), which would read
# argv too: give each what it expects and collect the result.
runner='
import runpy, sys, unittest
script, port = sys.argv[1], sys.argv[2]
sys.argv = [script, "-p", port]
original = unittest.main
def main(*args, **kwargs):
    kwargs.update(argv=[script], exit=False)
    result = original(*args, **kwargs).result
    print("RESULT %s run=%d failures=%d errors=%d" % (script, result.testsRun,
          len(result.failures), len(result.errors)))
    sys.stdout.flush()
unittest.main = main
runpy.run_path(script, run_name="__main__")
'
status=0
cd "$suite/interoperability"
for run in $(seq "$runs"); do
  for script in client_test.py client_test5.py; do
    out=$(PYTHONPATH=$PWD timeout 600 /usr/bin/python3 -c "$runner" "$script" "$port" 2>&1 || true)
    line=$(grep '^RESULT' <<<"$out" || echo "RESULT $script did not finish")
    echo "run $run: $line"
    grep -E '^(FAIL|ERROR): test' <<<"$out" || true
    [[ $line == *"failures=0 errors=0"* ]] || status=1
  done
done
exit $status
