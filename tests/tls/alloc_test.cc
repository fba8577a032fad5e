// What a warm session allocates per small record: through operator new
// (bench/common/alloc_counter.h) and through OpenSSL's allocator (counted with
// CRYPTO_set_mem_functions, which must be installed before OpenSSL's first allocation, so this
// binary installs it during static initialisation).
//
// Nothing of ours allocates once the session is warm (its BIO buffers are reused). OpenSSL 3.0's
// record layer itself, whatever the BIO, mallocs and frees WPACKET bookkeeping (40 bytes each,
// released before the call returns) per record: to build each record it sends (2), and in TLS
// 1.3 to build the additional data of every record it seals or opens (+1). The contexts set
// SSL_MODE_RELEASE_BUFFERS, so a session that drained its records takes its buffers again for
// the next one: measured with OpenSSL 3.0.19, +2 per record received and +1 per record sent. The
// test bounds the counts by those, so any allocation of ours shows.

#include <openssl/crypto.h>

#include <cstdlib>

#include "bench/common/alloc_counter.h"
#include "tests/tls/tls_fixture.h"

namespace rmq::tls::testing {
namespace {

constinit thread_local std::uint64_t tl_crypto_allocations = 0;

void* counting_malloc(std::size_t size, const char* /*file*/, int /*line*/) {
  ++tl_crypto_allocations;
  return std::malloc(size);
}

void* counting_realloc(void* p, std::size_t size, const char* /*file*/, int /*line*/) {
  if (size == 0) {
    std::free(p);
    return nullptr;
  }
  ++tl_crypto_allocations;
  return std::realloc(p, size);
}

void counting_free(void* p, const char* /*file*/, int /*line*/) { std::free(p); }

const bool kCryptoHooked =
    CRYPTO_set_mem_functions(counting_malloc, counting_realloc, counting_free) == 1;

struct Allocations {
  std::uint64_t crypto = 0;
  std::uint64_t cxx = 0;
};

// Runs `step` and adds what it allocated on this thread to `total`.
template <typename Step>
void counted(Allocations& total, Step step) {
  const std::uint64_t crypto_before = tl_crypto_allocations;
  const std::uint64_t cxx_before = bench::thread_alloc_counts().allocations;
  step();
  total.crypto += tl_crypto_allocations - crypto_before;
  total.cxx += bench::thread_alloc_counts().allocations - cxx_before;
}

class AllocTest : public TlsTest, public ::testing::WithParamInterface<int> {};

TEST_P(AllocTest, WarmSessionRecordAllocations) {
  ASSERT_TRUE(kCryptoHooked) << "OpenSSL allocated before the hook was installed";
  auto context = make_context(server_config());
  ClientOptions options = client_options();
  options.min_version = options.max_version = GetParam();
  TestClient client(options);
  auto server = context->new_session();
  ASSERT_TRUE(pump_handshake(client, *server).ok());

  const std::string message(64, 'm');
  std::byte plain[256];
  std::byte cipher[1024];
  constexpr int kWarmup = 200;
  constexpr int kMeasured = 2000;
  Allocations received;
  Allocations sent;
  for (int i = 0; i < kWarmup + kMeasured; ++i) {
    if (i == kWarmup) received = sent = {};
    client.write(message);  // client -> server record
    const std::vector<std::byte> incoming = client.take_ciphertext();
    std::size_t produced = 0;
    TlsIo io = TlsIo::kFailed;
    counted(received, [&] {
      server->feed(incoming);
      io = server->read(plain, &produced);
    });
    ASSERT_EQ(io, TlsIo::kOk);
    ASSERT_EQ(produced, message.size());
    std::size_t taken = 0;
    counted(sent, [&] {  // server -> client record
      io = server->write(std::as_bytes(std::span(plain, produced)));
      taken = server->take_ciphertext(cipher);
    });
    ASSERT_EQ(io, TlsIo::kOk);
    ASSERT_GT(taken, message.size());
    client.feed(cipher, taken);
    ASSERT_EQ(client.read_available(), message);
  }
  RecordProperty("openssl_allocations_per_record_sent", static_cast<int>(sent.crypto / kMeasured));
  const bool tls13 = GetParam() == TLS1_3_VERSION;
  EXPECT_EQ(received.cxx, 0u);
  EXPECT_EQ(sent.cxx, 0u);
  EXPECT_LE(received.crypto, (tls13 ? 3u : 2u) * kMeasured)
      << "OpenSSL allocations per record received: "
      << static_cast<double>(received.crypto) / kMeasured;
  EXPECT_LE(sent.crypto, (tls13 ? 4u : 3u) * kMeasured)
      << "OpenSSL allocations per record sent: " << static_cast<double>(sent.crypto) / kMeasured;
}

INSTANTIATE_TEST_SUITE_P(Versions, AllocTest, ::testing::Values(TLS1_2_VERSION, TLS1_3_VERSION),
                         [](const auto& param_info) {
                           return param_info.param == TLS1_2_VERSION ? std::string("Tls12")
                                                                     : std::string("Tls13");
                         });

}  // namespace
}  // namespace rmq::tls::testing
