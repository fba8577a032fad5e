// PasswordAuthenticator: checks CONNECT user names and passwords against a Mosquitto password file
// (password_file.h).
//
// authenticate() runs on shard threads and never hashes: a client without a user name is accepted
// (whether anonymous clients may connect is the broker's decision, BrokerConfig::allow_anonymous),
// a user name without a password is refused, and a user name with a password is accepted at once
// if the same user, password and file generation were verified recently (the cache below);
// otherwise it answers kDeferred and the broker runs verify() on the auth worker thread. An
// unknown user is checked against a dummy hash of the same cost, so refusals do not tell which
// user names exist.
//
// Threading: every method may be called from any thread at once. reload() swaps the table in one
// step; a check already running finishes against the table it started with.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"
#include "broker/access.h"
#include "broker/password_file.h"

namespace rmq::broker {

// Recent successful verifications, so a reconnecting good client skips PBKDF2. Keys are SHA-256
// digests of a per-process random secret, the file generation, the user name and the password
// (the password itself is never stored). Fixed size, direct-mapped: a newer entry replaces the
// one in its slot. Any thread.
class VerifiedCache {
 public:
  static constexpr std::size_t kSlots = 1024;
  using Key = std::array<std::uint8_t, 32>;

  VerifiedCache();
  Key key(std::uint64_t generation, std::string_view user, PasswordBytes password) const;
  bool contains(const Key& key) const;
  void insert(const Key& key);

 private:
  std::array<std::uint8_t, 32> secret_{};
  mutable std::mutex mutex_;
  std::vector<Key> slots_;
  std::vector<bool> used_;
};

class PasswordAuthenticator final : public Authenticator {
 public:
  // Reads `path`; null with `error` set (one line naming the file and line) when it cannot.
  static std::unique_ptr<PasswordAuthenticator> open(const std::string& path, std::string* error);

  AuthVerdict authenticate(const Credentials& credentials) const override;
  AuthVerdict verify(const OwnedCredentials& credentials) const override;
  bool supports_method(std::string_view) const override { return false; }

  // Re-reads the file and swaps the table in one step. On failure the old table stays, the
  // reason is logged (file and line) and the status is an error.
  Status reload();
  const std::string& path() const { return path_; }
  std::size_t users() const;
  std::uint64_t cache_hits() const { return cache_hits_.load(std::memory_order_relaxed); }

 private:
  struct Snapshot {
    PasswordTable table;
    PasswordHash dummy;  // for unknown users: same cost as a real check, never matches
    std::uint64_t generation = 0;
  };

  explicit PasswordAuthenticator(std::string path) : path_(std::move(path)) {}
  bool load(std::string* error);
  std::shared_ptr<const Snapshot> snapshot() const;

  const std::string path_;
  mutable std::mutex mutex_;  // guards snapshot_ (the pointer, not what it points to)
  std::shared_ptr<const Snapshot> snapshot_;
  std::uint64_t generation_ = 0;  // under mutex_
  mutable VerifiedCache cache_;
  mutable std::atomic<std::uint64_t> cache_hits_{0};
};

}  // namespace rmq::broker
