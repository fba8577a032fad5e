// Password files in Mosquitto's format: one `user:hash` per line, `#` starts a comment line, blank
// lines are skipped, blanks around the user name and the hash are ignored. Two hashes, as
// mosquitto_passwd writes them:
//
//   $7$<iterations>$<base64 salt>$<base64 hash>  PBKDF2-HMAC-SHA512, 64-byte hash
//   $6$<base64 salt>$<base64 hash>               SHA-512(password || salt)
//
// The salt is 12 or 64 bytes. Everything here is plain data and pure functions: a PasswordTable is
// immutable once parsed, so any thread may read it.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace rmq::broker {

enum class PasswordScheme : std::uint8_t {
  kSha512 = 6,        // $6$
  kPbkdf2Sha512 = 7,  // $7$
};

inline constexpr std::uint32_t kDefaultPbkdf2Iterations = 101;  // mosquitto_passwd's default
inline constexpr std::size_t kPasswordHashSize = 64;

struct PasswordHash {
  PasswordScheme scheme = PasswordScheme::kPbkdf2Sha512;
  std::uint32_t iterations = 0;  // $7$ only
  std::vector<std::uint8_t> salt;
  std::array<std::uint8_t, kPasswordHashSize> hash{};
};

using PasswordBytes = std::span<const std::uint8_t>;

inline PasswordBytes password_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// Parses the part after `user:`. The error says what is wrong, without the line's text.
Result<PasswordHash> parse_password_hash(std::string_view text);
// The text parse_password_hash() reads back.
std::string format_password_hash(const PasswordHash& hash);
// A new $7$ hash of `password` with a random 12-byte salt (RAND_bytes).
Result<PasswordHash> make_password_hash(PasswordBytes password,
                                        std::uint32_t iterations = kDefaultPbkdf2Iterations);
// Hashes `password` as `expected` says and compares in constant time (CRYPTO_memcmp). Slow for
// $7$ (PBKDF2): never call it on a shard thread.
bool verify_password(const PasswordHash& expected, PasswordBytes password);

class PasswordTable {
 public:
  // Reads and parses `path`; on failure, nullopt and `error` set to one line naming the file and,
  // for a bad line, its number: "users.pw:3: expected user:hash" (never the line's text, which
  // may hold a password).
  static std::optional<PasswordTable> load(const std::string& path, std::string* error);
  // Parses file text; `name` is used in errors.
  static std::optional<PasswordTable> parse(std::string_view text, std::string_view name,
                                            std::string* error);

  // Null when the user is not in the table.
  const PasswordHash* find(std::string_view user) const;
  std::size_t size() const { return users_.size(); }
  // The iteration count of the first $7$ entry (kDefaultPbkdf2Iterations if none): unknown users
  // are checked against a dummy hash this costly, so a refusal takes as long either way.
  std::uint32_t typical_iterations() const { return typical_iterations_; }

 private:
  std::map<std::string, PasswordHash, std::less<>> users_;
  std::uint32_t typical_iterations_ = kDefaultPbkdf2Iterations;
};

// Password-file lines for `ringmq passwd`: `lines` is the file split at '\n'. Replaces the user's
// line (or appends one); returns false from remove_user_line when the user has no line.
void set_user_line(std::vector<std::string>& lines, std::string_view user, std::string_view hash);
bool remove_user_line(std::vector<std::string>& lines, std::string_view user);

}  // namespace rmq::broker
