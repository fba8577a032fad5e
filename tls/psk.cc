// Pre-shared keys: the psk_file parser and the TLS 1.2 / TLS 1.3 server callbacks.
#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "tls/tls_internal.h"

namespace rmq::tls::internal {
namespace {

// TLS_AES_128_GCM_SHA256, the suite an external TLS 1.3 PSK is bound to (as in s_server).
constexpr unsigned char kTls13Aes128GcmSha256[] = {0x13, 0x01};

std::string_view trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n";
  const std::size_t first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kSpace) - first + 1);
}

// Decodes `hex` (an even number of hex digits, no separators) into `*key`; false if malformed.
bool decode_hex(std::string_view hex, std::string* key) {
  if (hex.empty() || hex.size() % 2 != 0) return false;
  const std::string text(hex);
  key->assign(hex.size() / 2, '\0');
  std::size_t len = 0;
  const bool ok = OPENSSL_hexstr2buf_ex(reinterpret_cast<unsigned char*>(key->data()), key->size(),
                                        &len, text.c_str(), '\0') == 1 &&
                  len == key->size();
  if (!ok) OPENSSL_cleanse(key->data(), key->size());
  return ok;
}

// Why `line` is not "identity:hexkey" (nullptr when it is); fills identity and key.
const char* parse_line(std::string_view line, std::string* identity, std::string* key) {
  const std::size_t colon = line.rfind(':');  // hex keys hold no ':', identities may
  if (colon == std::string_view::npos) return "expected identity:hexkey";
  const std::string_view id = trim(line.substr(0, colon));
  if (id.empty()) return "empty identity";
  if (id.size() > PSK_MAX_IDENTITY_LEN) return "identity longer than 256 bytes";
  if (!decode_hex(trim(line.substr(colon + 1)), key)) {
    return "key is not hexadecimal (an even number of hex digits)";
  }
  if (key->size() > PSK_MAX_PSK_LEN) return "key longer than 512 bytes";
  identity->assign(id);
  return nullptr;
}

const CtxState* state_of(SSL* ssl) {
  return static_cast<const CtxState*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
}

HandshakeNotes* notes_of(SSL* ssl) { return static_cast<HandshakeNotes*>(SSL_get_app_data(ssl)); }

// TLS 1.2: the key of `identity` into `psk`; 0 refuses the handshake (psk identity not found).
unsigned int psk_server_callback(SSL* ssl, const char* identity, unsigned char* psk,
                                 unsigned int max_psk_len) {
  // TLS 1.3 asks this callback too when psk_find_session_callback found nothing; that callback
  // has already decided (and may have been handed a session ticket, not an identity).
  if (SSL_version(ssl) >= TLS1_3_VERSION || identity == nullptr) return 0;
  HandshakeNotes* notes = notes_of(ssl);
  const std::string* key = state_of(ssl)->psk.find(identity);
  if (key == nullptr || key->size() > max_psk_len) {
    if (notes != nullptr) notes->psk_unknown = true;
    return 0;
  }
  // NOLINTNEXTLINE(bugprone-not-null-terminated-result): key bytes, not a string
  std::memcpy(psk, key->data(), key->size());
  if (notes != nullptr) notes->psk_found = true;
  return static_cast<unsigned int>(key->size());
}

// TLS 1.3: a session carrying the key of `identity`, bound to TLS_AES_128_GCM_SHA256. An unknown
// identity leaves *sess null (the handshake goes on without it, and fails on a PSK-only listener).
int psk_find_session_callback(SSL* ssl, const unsigned char* identity, std::size_t identity_len,
                              SSL_SESSION** sess) {
  *sess = nullptr;
  HandshakeNotes* notes = notes_of(ssl);
  const std::string_view id(reinterpret_cast<const char*>(identity), identity_len);
  const std::string* key = state_of(ssl)->psk.find(id);
  if (key == nullptr) {
    if (notes != nullptr) notes->psk_unknown = true;
    return 1;
  }
  const SSL_CIPHER* cipher = SSL_CIPHER_find(ssl, kTls13Aes128GcmSha256);
  SSL_SESSION* session = SSL_SESSION_new();
  if (cipher == nullptr || session == nullptr ||
      SSL_SESSION_set1_master_key(session, reinterpret_cast<const unsigned char*>(key->data()),
                                  key->size()) != 1 ||
      SSL_SESSION_set_cipher(session, cipher) != 1 ||
      SSL_SESSION_set_protocol_version(session, TLS1_3_VERSION) != 1) {
    SSL_SESSION_free(session);
    return 0;
  }
  if (notes != nullptr) {
    notes->psk_found = true;
    notes->psk_identity.assign(id);
  }
  // A ticket would not carry the identity: PSK clients reconnect with their key instead.
  SSL_set_num_tickets(ssl, 0);
  *sess = session;
  return 1;
}

}  // namespace

PskTable::~PskTable() {
  for (auto& [identity, key] : keys_) OPENSSL_cleanse(key.data(), key.size());
}

bool PskTable::load(const std::string& path, std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = "tls: psk_file '" + path + "': " + std::strerror(errno);
    return false;
  }
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const std::string_view text = trim(line);
    if (text.empty() || text.front() == '#') continue;
    std::string identity;
    std::string key;
    const char* why = parse_line(text, &identity, &key);
    if (why == nullptr && keys_.count(identity) != 0) why = "duplicate identity";
    if (why != nullptr) {
      OPENSSL_cleanse(key.data(), key.size());
      OPENSSL_cleanse(line.data(), line.size());
      *error = "tls: psk_file '" + path + "' line " + std::to_string(number) + ": " + why;
      return false;
    }
    keys_.emplace(std::move(identity), std::move(key));
    OPENSSL_cleanse(line.data(), line.size());
  }
  if (in.bad()) {
    *error = "tls: psk_file '" + path + "': read error";
    return false;
  }
  return true;
}

const std::string* PskTable::find(std::string_view identity) const {
  auto it = keys_.find(identity);
  return it == keys_.end() ? nullptr : &it->second;
}

void install_psk_callbacks(SSL_CTX* ctx) {
  SSL_CTX_set_psk_server_callback(ctx, psk_server_callback);
  SSL_CTX_set_psk_find_session_callback(ctx, psk_find_session_callback);
}

}  // namespace rmq::tls::internal
