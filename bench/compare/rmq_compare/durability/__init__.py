"""bench/compare/run-durability: persistence figures of ringmq against Mosquitto."""
