// BrokerStats: one shard's MQTT counters. Written by that shard's thread only; any thread may
// read them ($SYS, tests). Summed over shards by BrokerShared::totals().
#pragma once

#include "base/counter.h"

namespace rmq::broker {

struct BrokerStats {
  Gauge clients_connected;      // connections past CONNACK
  Gauge sessions;               // sessions owned by this shard, online or not
  Counter connects;             // CONNACKs with success
  Counter connects_refused;     // CONNACKs with an error
  Counter messages_received;    // PUBLISH packets from clients
  Counter messages_sent;        // PUBLISH packets queued to clients
  Counter bytes_received;       // bytes of complete packets from clients
  Counter bytes_sent;           // bytes of packets queued to clients
  Counter dropped_qos0_slow;    // QoS 0 dropped: send queue over the budget
  Counter dropped_queue_full;   // dropped: session queue over its limits
  Counter dropped_too_large;    // dropped: over the receiver's Maximum Packet Size
  Counter dropped_expired;      // dropped: Message Expiry Interval passed
  Counter dropped_mailbox;      // QoS 0 fan-out batches dropped: destination mailbox full
  Counter dropped_shared_busy;  // QoS 0 not sent to a shared group: every member busy or offline
  Counter wills_published;
  Counter takeovers;
  Counter slow_disconnects;  // connections closed over the send hard limit
  Counter protocol_errors;   // connections closed for a decode or protocol error
  // --acl-file refusals.
  Counter acl_denied_publish;    // PUBLISH packets not accepted (not routed, not retained)
  Counter acl_denied_subscribe;  // SUBSCRIBE filters refused
  Counter acl_denied_delivery;   // copies not delivered: the subscriber may not read the topic
  Counter acl_denied_will;       // wills not published: the client may not write the topic
  Counter auth_failures;         // CONNECTs refused for an unknown user or a wrong password
  Counter anonymous_refused;     // CONNECTs without a user name refused (anonymous not allowed)
  Counter auth_deferred;         // CONNECTs parked while the auth worker checked their password
  Counter acks_held;             // PUBACK/PUBREC held until their records were durable (sync)
  Counter log_write_errors;      // write-ahead log writes or syncs that failed (retried)
  Counter log_records;           // records written to the write-ahead log
  Counter log_bytes;             // bytes of them
  Counter log_compactions;       // snapshots written into a new segment
};

}  // namespace rmq::broker
