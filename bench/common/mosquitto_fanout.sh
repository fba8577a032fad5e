#!/bin/sh
# QoS 0 fan-out with the mosquitto command-line clients: starts BROKER (a ringmq binary) on a
# loopback port with 2 threads, SUBS mosquitto_sub clients on one topic, and one mosquitto_pub
# sending MESSAGES lines; prints what the subscribers received in all and the broker's CPU time
# (QoS 0 copies the broker drops for slow subscribers or full mailboxes are simply not received).
#
#   bench/common/mosquitto_fanout.sh build/broker/ringmq [MESSAGES] [SUBS] [PORT]
set -eu

broker=$1
messages=${2:-200000}
subs=${3:-4}
port=${4:-18830}
out=$(mktemp -d)
trap 'kill "$broker_pid" 2>/dev/null || true; rm -rf "$out"' EXIT

"$broker" --listen "127.0.0.1:$port" --threads 2 --sys-interval 0 --log-level warn &
broker_pid=$!
sleep 0.5

# utime + stime of the broker, in clock ticks (fields 14 and 15 of /proc/PID/stat).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$broker_pid/stat"; }

sub_pids=""
i=0
while [ "$i" -lt "$subs" ]; do
  stdbuf -oL mosquitto_sub -h 127.0.0.1 -p "$port" -t bench/fanout -q 0 >"$out/sub$i" 2>/dev/null &
  sub_pids="$sub_pids $!"
  i=$((i + 1))
done
sleep 0.5

received() { cat "$out"/sub* | wc -l; }

start_ticks=$(cpu_ticks)
start_ns=$(date +%s%N)
seq 1 "$messages" | mosquitto_pub -h 127.0.0.1 -p "$port" -t bench/fanout -q 0 -l
# Done when nothing more arrives for 1 s.
before=-1
total=$(received)
while [ "$total" -ne "$before" ]; do
  end_ns=$(date +%s%N)
  end_ticks=$(cpu_ticks)
  sleep 1
  before=$total
  total=$(received)
done
for pid in $sub_pids; do kill "$pid" 2>/dev/null || true; done
for pid in $sub_pids; do wait "$pid" 2>/dev/null || true; done
total=$(received)

ticks_per_s=$(getconf CLK_TCK)
echo "messages=$messages subscribers=$subs received=$total" \
  "wall_ms=$(((end_ns - start_ns) / 1000000))" \
  "broker_cpu_ms=$(((end_ticks - start_ticks) * 1000 / ticks_per_s))"
