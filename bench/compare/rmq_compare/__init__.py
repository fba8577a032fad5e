"""The side-by-side benchmark runner: ringmq, Mosquitto and other brokers under one matrix."""
