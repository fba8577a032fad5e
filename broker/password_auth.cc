#include "broker/password_auth.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstring>

#include "base/log.h"

namespace rmq::broker {

VerifiedCache::VerifiedCache() : slots_(kSlots), used_(kSlots, false) {
  if (RAND_bytes(secret_.data(), static_cast<int>(secret_.size())) != 1) {
    // Without randomness the keys are still one-way digests; only not secret-keyed.
    secret_.fill(0x5A);
  }
}

VerifiedCache::Key VerifiedCache::key(std::uint64_t generation, std::string_view user,
                                      PasswordBytes password) const {
  Key out{};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr) return out;
  const std::uint64_t user_size = user.size();
  unsigned int size = 0;
  const bool ok = EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 &&
                  EVP_DigestUpdate(ctx, secret_.data(), secret_.size()) == 1 &&
                  EVP_DigestUpdate(ctx, &generation, sizeof(generation)) == 1 &&
                  EVP_DigestUpdate(ctx, &user_size, sizeof(user_size)) == 1 &&
                  EVP_DigestUpdate(ctx, user.data(), user.size()) == 1 &&
                  EVP_DigestUpdate(ctx, password.data(), password.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx, out.data(), &size) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) out.fill(0);
  return out;
}

namespace {
std::size_t slot_of(const VerifiedCache::Key& key) {
  std::uint32_t bits = 0;
  std::memcpy(&bits, key.data(), sizeof(bits));
  return bits % VerifiedCache::kSlots;
}
}  // namespace

bool VerifiedCache::contains(const Key& key) const {
  const std::size_t slot = slot_of(key);
  std::lock_guard lock(mutex_);
  return used_[slot] && slots_[slot] == key;
}

void VerifiedCache::insert(const Key& key) {
  const std::size_t slot = slot_of(key);
  std::lock_guard lock(mutex_);
  slots_[slot] = key;
  used_[slot] = true;
}

std::unique_ptr<PasswordAuthenticator> PasswordAuthenticator::open(const std::string& path,
                                                                   std::string* error) {
  std::unique_ptr<PasswordAuthenticator> auth(new PasswordAuthenticator(path));
  if (!auth->load(error)) return nullptr;
  return auth;
}

bool PasswordAuthenticator::load(std::string* error) {
  std::optional<PasswordTable> table = PasswordTable::load(path_, error);
  if (!table) return false;
  auto next = std::make_shared<Snapshot>();
  next->table = std::move(*table);
  next->dummy.iterations = next->table.typical_iterations();
  next->dummy.salt.assign(12, 0);
  (void)RAND_bytes(next->dummy.salt.data(), static_cast<int>(next->dummy.salt.size()));
  (void)RAND_bytes(next->dummy.hash.data(), static_cast<int>(next->dummy.hash.size()));
  std::lock_guard lock(mutex_);
  next->generation = ++generation_;
  snapshot_ = std::move(next);
  return true;
}

Status PasswordAuthenticator::reload() {
  std::string error;
  if (!load(&error)) {
    RMQ_LOG_ERROR("password file not reloaded, the previous one stays in use: %s", error.c_str());
    return Status(StatusCode::kInvalidArgument, "password file not reloaded");
  }
  RMQ_LOG_INFO("password file %s reloaded: %zu users", path_.c_str(), users());
  return OkStatus();
}

std::shared_ptr<const PasswordAuthenticator::Snapshot> PasswordAuthenticator::snapshot() const {
  std::lock_guard lock(mutex_);
  return snapshot_;
}

std::size_t PasswordAuthenticator::users() const { return snapshot()->table.size(); }

AuthVerdict PasswordAuthenticator::authenticate(const Credentials& credentials) const {
  if (!credentials.method.empty()) return AuthVerdict::kBadMethod;
  if (!credentials.username) return AuthVerdict::kAccept;  // anonymous: the broker's policy
  if (!credentials.password) return AuthVerdict::kBadCredentials;
  const std::shared_ptr<const Snapshot> snap = snapshot();
  if (snap->table.find(*credentials.username) != nullptr &&
      cache_.contains(cache_.key(snap->generation, *credentials.username, *credentials.password))) {
    cache_hits_.fetch_add(1, std::memory_order_relaxed);
    return AuthVerdict::kAccept;
  }
  return AuthVerdict::kDeferred;
}

AuthVerdict PasswordAuthenticator::verify(const OwnedCredentials& credentials) const {
  if (!credentials.username || !credentials.password) return AuthVerdict::kBadCredentials;
  const std::shared_ptr<const Snapshot> snap = snapshot();
  const PasswordHash* expected = snap->table.find(*credentials.username);
  const PasswordBytes password(*credentials.password);
  if (expected == nullptr) {
    (void)verify_password(snap->dummy, password);  // the same time as a real refusal
    return AuthVerdict::kBadCredentials;
  }
  if (!verify_password(*expected, password)) return AuthVerdict::kBadCredentials;
  cache_.insert(cache_.key(snap->generation, *credentials.username, password));
  return AuthVerdict::kAccept;
}

}  // namespace rmq::broker
