#include "broker/password_file.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

namespace rmq::broker {
namespace {

constexpr std::size_t kSaltSize = 12;  // mosquitto_passwd's salt; 64 is accepted too

std::string_view trim_blanks(std::string_view s) {
  const auto begin = s.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) return {};
  const auto end = s.find_last_not_of(" \t\r");
  return s.substr(begin, end - begin + 1);
}

bool base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

// Standard base64 with padding, no line breaks; false on anything else.
bool base64_decode(std::string_view text, std::vector<std::uint8_t>& out) {
  if (text.empty() || text.size() % 4 != 0) return false;
  std::size_t padding = 0;
  while (padding < 2 && text[text.size() - 1 - padding] == '=') ++padding;
  if (!std::all_of(text.begin(), text.end() - static_cast<std::ptrdiff_t>(padding), base64_char)) {
    return false;
  }
  out.resize(text.size() / 4 * 3);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0 || static_cast<std::size_t>(n) != out.size()) return false;
  out.resize(out.size() - padding);
  return true;
}

std::string base64_encode(std::span<const std::uint8_t> bytes) {
  std::string out((bytes.size() + 2) / 3 * 4 + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

bool hash_with(const PasswordHash& h, PasswordBytes password,
               std::array<std::uint8_t, kPasswordHashSize>& out) {
  if (h.scheme == PasswordScheme::kPbkdf2Sha512) {
    return PKCS5_PBKDF2_HMAC(reinterpret_cast<const char*>(password.data()),
                             static_cast<int>(password.size()), h.salt.data(),
                             static_cast<int>(h.salt.size()), static_cast<int>(h.iterations),
                             EVP_sha512(), static_cast<int>(out.size()), out.data()) == 1;
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr) return false;
  unsigned int size = 0;
  const bool ok = EVP_DigestInit_ex(ctx, EVP_sha512(), nullptr) == 1 &&
                  EVP_DigestUpdate(ctx, password.data(), password.size()) == 1 &&
                  EVP_DigestUpdate(ctx, h.salt.data(), h.salt.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx, out.data(), &size) == 1 && size == out.size();
  EVP_MD_CTX_free(ctx);
  return ok;
}

// Splits "a$b$c" at '$'.
std::vector<std::string_view> split_dollar(std::string_view text) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const auto end = text.find('$', start);
    parts.push_back(text.substr(start, end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

std::string_view user_of(std::string_view line) {
  const std::string_view text = trim_blanks(line);
  if (text.empty() || text.front() == '#') return {};
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return {};
  return trim_blanks(text.substr(0, colon));
}

}  // namespace

Result<PasswordHash> parse_password_hash(std::string_view text) {
  PasswordHash h;
  std::vector<std::string_view> parts;
  if (text.starts_with("$7$")) {
    parts = split_dollar(text.substr(3));
    if (parts.size() != 3) return Status(StatusCode::kInvalidArgument, "expected $7$N$salt$hash");
    const std::string_view n = parts[0];
    const auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), h.iterations);
    if (ec != std::errc() || end != n.data() + n.size() || h.iterations < 1 ||
        h.iterations > 0x7FFFFFFF) {
      return Status(StatusCode::kInvalidArgument, "bad $7$ iteration count");
    }
    parts.erase(parts.begin());
  } else if (text.starts_with("$6$")) {
    h.scheme = PasswordScheme::kSha512;
    parts = split_dollar(text.substr(3));
    if (parts.size() != 2) return Status(StatusCode::kInvalidArgument, "expected $6$salt$hash");
  } else {
    return Status(StatusCode::kInvalidArgument,
                  "unsupported password hash (only $6$ and $7$, as mosquitto_passwd writes)");
  }
  if (!base64_decode(parts[0], h.salt) ||
      (h.salt.size() != kSaltSize && h.salt.size() != kPasswordHashSize)) {
    return Status(StatusCode::kInvalidArgument, "bad salt (base64 of 12 or 64 bytes)");
  }
  std::vector<std::uint8_t> hash;
  if (!base64_decode(parts[1], hash) || hash.size() != kPasswordHashSize) {
    return Status(StatusCode::kInvalidArgument, "bad hash (base64 of 64 bytes)");
  }
  std::copy(hash.begin(), hash.end(), h.hash.begin());
  return h;
}

std::string format_password_hash(const PasswordHash& h) {
  std::string out = h.scheme == PasswordScheme::kPbkdf2Sha512
                        ? "$7$" + std::to_string(h.iterations) + "$"
                        : std::string("$6$");
  out += base64_encode(h.salt);
  out += '$';
  out += base64_encode(h.hash);
  return out;
}

Result<PasswordHash> make_password_hash(PasswordBytes password, std::uint32_t iterations) {
  if (iterations < 1 || iterations > 0x7FFFFFFF) {
    return Status(StatusCode::kInvalidArgument, "iterations must be from 1 to 2147483647");
  }
  PasswordHash h;
  h.iterations = iterations;
  h.salt.resize(kSaltSize);
  if (RAND_bytes(h.salt.data(), static_cast<int>(h.salt.size())) != 1) {
    return Status(StatusCode::kInternal, "RAND_bytes failed");
  }
  if (!hash_with(h, password, h.hash)) return Status(StatusCode::kInternal, "hashing failed");
  return h;
}

bool verify_password(const PasswordHash& expected, PasswordBytes password) {
  std::array<std::uint8_t, kPasswordHashSize> got{};
  if (!hash_with(expected, password, got)) return false;
  return CRYPTO_memcmp(got.data(), expected.hash.data(), got.size()) == 0;
}

std::optional<PasswordTable> PasswordTable::load(const std::string& path, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = path + ": cannot read the password file";
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), path, error);
}

std::optional<PasswordTable> PasswordTable::parse(std::string_view text, std::string_view name,
                                                  std::string* error) {
  PasswordTable table;
  bool typical_set = false;
  std::size_t number = 0;
  for (std::size_t start = 0; start < text.size();) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = trim_blanks(text.substr(start, end - start));
    start = end + 1;
    ++number;
    if (line.empty() || line.front() == '#') continue;
    const auto fail = [&](std::string_view why) {
      *error = std::string(name) + ":" + std::to_string(number) + ": " + std::string(why);
      return std::nullopt;
    };
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return fail("expected user:hash");
    const std::string_view user = trim_blanks(line.substr(0, colon));
    if (user.empty()) return fail("empty user name");
    Result<PasswordHash> hash = parse_password_hash(trim_blanks(line.substr(colon + 1)));
    if (!hash.ok()) return fail(hash.status().message());
    if (!typical_set && hash->scheme == PasswordScheme::kPbkdf2Sha512) {
      table.typical_iterations_ = hash->iterations;
      typical_set = true;
    }
    if (!table.users_.emplace(std::string(user), std::move(*hash)).second) {
      return fail("user '" + std::string(user) + "' appears twice");
    }
  }
  return table;
}

const PasswordHash* PasswordTable::find(std::string_view user) const {
  const auto it = users_.find(user);
  return it == users_.end() ? nullptr : &it->second;
}

void set_user_line(std::vector<std::string>& lines, std::string_view user, std::string_view hash) {
  std::string entry = std::string(user) + ":" + std::string(hash);
  for (std::string& line : lines) {
    if (user_of(line) == user) {
      line = std::move(entry);
      return;
    }
  }
  lines.push_back(std::move(entry));
}

bool remove_user_line(std::vector<std::string>& lines, std::string_view user) {
  const auto removed = std::remove_if(
      lines.begin(), lines.end(), [&](const std::string& line) { return user_of(line) == user; });
  const bool found = removed != lines.end();
  lines.erase(removed, lines.end());
  return found;
}

}  // namespace rmq::broker
