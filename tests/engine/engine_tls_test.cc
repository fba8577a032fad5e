// TLS listeners in the engine, over real sockets, with an OpenSSL client in the test: the echo
// handler sees plaintext only and only once the handshake completed; refused, stalled and resumed
// handshakes are counted; and ExternalInbox delivers posts from other threads.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "echo_fixture.h"
#include "engine/engine.h"
#include "tls/tls.h"

namespace rmq::engine {
namespace {

using namespace std::chrono_literals;
using testing::EchoServer;
using testing::eventually;
using testing::kSanitized;

const std::string& pki_dir() {
  static const std::string dir = [] {
    char pattern[] = "/tmp/ringmq-engine-pki-XXXXXX";
    const char* made = mkdtemp(pattern);
    const std::string command = std::string("bash ") + RINGMQ_MAKE_TEST_CERTS + " " + made;
    return std::system(command.c_str()) == 0 ? std::string(made) : std::string();
  }();
  return dir;
}

std::shared_ptr<tls::TlsContext> server_context() {
  tls::TlsConfig config;
  config.cert_file = pki_dir() + "/server.pem";
  config.key_file = pki_dir() + "/server.key";
  auto context = tls::TlsContext::create(config);
  return context.ok() ? *context : nullptr;
}

EngineConfig tls_config(std::shared_ptr<tls::TlsContext> context) {
  EngineConfig config = EchoServer::default_config(2);
  config.listen[0].tls = std::move(context);
  return config;
}

// A blocking TLS client over a loopback socket.
class TlsClient {
 public:
  explicit TlsClient(std::uint16_t port, SSL_SESSION* resume = nullptr) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(ctx_, (pki_dir() + "/ca.pem").c_str(), nullptr);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    fd_ = testing::connect_to("127.0.0.1", port);
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    SSL_set1_host(ssl_, "localhost");
    if (resume != nullptr) SSL_set_session(ssl_, resume);
    connected_ = fd_ >= 0 && SSL_connect(ssl_) == 1;
  }
  ~TlsClient() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
    if (fd_ >= 0) ::close(fd_);
  }
  bool connected() const { return connected_; }
  bool resumed() const { return SSL_session_reused(ssl_) == 1; }
  bool write(const std::string& bytes) {
    std::size_t written = 0;
    return SSL_write_ex(ssl_, bytes.data(), bytes.size(), &written) == 1 && written == bytes.size();
  }
  bool read_exact(std::string* out, std::size_t size) {
    out->resize(size);
    for (std::size_t got = 0; got < size;) {
      std::size_t n = 0;
      if (SSL_read_ex(ssl_, out->data() + got, size - got, &n) != 1) return false;
      got += n;
    }
    return true;
  }
  // The session to resume, once the server's ticket arrived (read after a round trip).
  SSL_SESSION* session() { return SSL_get1_session(ssl_); }
  void close_notify() { SSL_shutdown(ssl_); }

 private:
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  bool connected_ = false;
};

TEST(EngineTls, EchoesPlaintextInRecordsBothWays) {
  auto context = server_context();
  ASSERT_NE(context, nullptr) << "test PKI in " << pki_dir();
  EchoServer server(tls_config(context));
  ASSERT_TRUE(server.ok()) << server.status().message();
  TlsClient client(server.port());
  ASSERT_TRUE(client.connected());
  testing::ByteStream stream(7);
  const std::size_t total = kSanitized ? 128 * 1024 : 1024 * 1024;
  for (std::size_t sent = 0; sent < total;) {
    const std::size_t chunk = std::min<std::size_t>(1 + (sent * 7919) % 40000, total - sent);
    std::string bytes(chunk, '\0');
    for (char& c : bytes) c = static_cast<char>(stream.next());
    ASSERT_TRUE(client.write(bytes));
    std::string back;
    ASSERT_TRUE(client.read_exact(&back, chunk));
    ASSERT_EQ(back, bytes);
    sent += chunk;
  }
  EXPECT_EQ(server.engine().total(&ShardStats::tls_handshakes), 1u);  // data came back: done
  EXPECT_EQ(server.counters().opened.load(), 1u);
  client.close_notify();
  EXPECT_TRUE(eventually([&] { return server.counters().closed.load() == 1; }));
  server.stop();
  EXPECT_EQ(server.engine().total(&ShardStats::queued_bytes), 0);
}

TEST(EngineTls, ManyClientsOnBothShards) {
  auto context = server_context();
  ASSERT_NE(context, nullptr);
  EchoServer server(tls_config(context));
  ASSERT_TRUE(server.ok());
  constexpr int kClients = 16;
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kClients / 4; ++i) {
        TlsClient client(server.port());
        const std::string text = "client " + std::to_string(t * 100 + i);
        std::string back;
        if (client.connected() && client.write(text) && client.read_exact(&back, text.size()) &&
            back == text) {
          good.fetch_add(1);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(good.load(), kClients);
  EXPECT_TRUE(eventually([&] { return server.counters().closed.load() == kClients; }));
  EXPECT_EQ(server.engine().total(&ShardStats::tls_handshakes),
            static_cast<std::uint64_t>(kClients));
}

TEST(EngineTls, SecondHandshakeResumesWithATicket) {
  auto context = server_context();
  ASSERT_NE(context, nullptr);
  EchoServer server(tls_config(context));
  ASSERT_TRUE(server.ok());
  SSL_SESSION* session = nullptr;
  {
    TlsClient first(server.port());
    ASSERT_TRUE(first.connected());
    std::string back;
    ASSERT_TRUE(first.write("x") && first.read_exact(&back, 1));  // the ticket came before
    first.close_notify();  // a session dropped without close_notify is not resumable
    session = first.session();
  }
  ASSERT_NE(session, nullptr);
  TlsClient second(server.port(), session);
  ASSERT_TRUE(second.connected());
  EXPECT_TRUE(second.resumed());
  SSL_SESSION_free(session);
  // The server completes its side once it reads the client's Finished, after SSL_connect returned.
  EXPECT_TRUE(eventually([&] { return server.engine().total(&ShardStats::tls_resumed) == 1; }));
}

TEST(EngineTls, NonTlsBytesAreRefusedBeforeTheHandlerSeesThem) {
  auto context = server_context();
  ASSERT_NE(context, nullptr);
  EchoServer server(tls_config(context));
  ASSERT_TRUE(server.ok());
  const int fd = testing::connect_to("127.0.0.1", server.port());
  ASSERT_GE(fd, 0);
  const std::string mqtt_connect("\x10\x0c\x00\x04MQTT\x04\x02\x00\x3c\x00\x00", 14);
  ASSERT_TRUE(testing::send_all(fd, mqtt_connect.data(), mqtt_connect.size()));
  testing::recv_until_eof(fd);  // an alert, then EOF
  ::close(fd);
  EXPECT_TRUE(
      eventually([&] { return server.engine().total(&ShardStats::tls_handshake_failures) == 1; }));
  EXPECT_EQ(server.counters().opened.load(), 0u);
  EXPECT_EQ(server.counters().closed.load(), 0u);
  TlsClient client(server.port());  // still serving
  EXPECT_TRUE(client.connected());
}

TEST(EngineTls, StalledHandshakeIsClosedAfterTheTimeout) {
  auto context = server_context();
  ASSERT_NE(context, nullptr);
  EngineConfig config = tls_config(context);
  config.tls_handshake_timeout = 200ms;
  EchoServer server(config);
  ASSERT_TRUE(server.ok());
  const int fd = testing::connect_to("127.0.0.1", server.port());
  ASSERT_GE(fd, 0);
  const unsigned char hello[] = {0x16, 0x03, 0x01, 0x00, 0xc8, 0x01};
  ASSERT_TRUE(testing::send_all(fd, hello, sizeof(hello)));
  testing::recv_until_eof(fd, 20000);
  ::close(fd);
  EXPECT_EQ(server.engine().total(&ShardStats::tls_handshake_timeouts), 1u);
  EXPECT_EQ(server.counters().opened.load(), 0u);
  EXPECT_EQ(server.counters().closed.load(), 0u);
}

TEST(EngineTls, StopClosesConnectionsStillInTheirHandshake) {
  auto context = server_context();
  ASSERT_NE(context, nullptr);
  EchoServer server(tls_config(context));
  ASSERT_TRUE(server.ok());
  const int fd = testing::connect_to("127.0.0.1", server.port());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(eventually([&] { return server.engine().total(&ShardStats::accepted) == 1; }));
  server.stop();
  EXPECT_EQ(server.counters().shutdown_goodbyes.load(), 0u);
  EXPECT_EQ(server.counters().opened.load(), 0u);
  ::close(fd);
}

// ExternalInbox: posts from a thread that is not a shard reach on_mailbox on the shard's thread.
class InboxHandler : public ShardHandler {
 public:
  InboxHandler(Shard& shard, std::atomic<std::uint64_t>& sum, std::atomic<bool>& wrong_thread)
      : shard_(shard), sum_(sum), wrong_thread_(wrong_thread) {}
  void on_start() override { thread_ = std::this_thread::get_id(); }
  void on_open(ConnId, const PeerAddress&) override {}
  RecvResult on_data(ConnId, const RecvView& data) override { return {data.size(), 0}; }
  void on_close(ConnId, CloseReason) override {}
  void on_mailbox(const MailboxMessage& message) override {
    if (std::this_thread::get_id() != thread_) wrong_thread_ = true;
    sum_.fetch_add(message.u64);
  }

 private:
  Shard& shard_;
  std::atomic<std::uint64_t>& sum_;
  std::atomic<bool>& wrong_thread_;
  std::thread::id thread_;
};

TEST(ExternalInbox, PostsFromOtherThreadsReachTheShard) {
  std::atomic<std::uint64_t> sum{0};
  std::atomic<bool> wrong_thread{false};
  std::vector<Shard*> shards;
  auto engine = Engine::start(EchoServer::default_config(2), [&](Shard& shard) {
    shards.push_back(&shard);
    return std::make_unique<InboxHandler>(shard, sum, wrong_thread);
  });
  ASSERT_TRUE(engine.ok());
  constexpr std::uint64_t kPosts = 1000;
  std::vector<std::thread> posters;
  for (Shard* shard : shards) {
    posters.emplace_back([shard] {
      for (std::uint64_t i = 1; i <= kPosts; ++i) {
        MailboxMessage message;
        message.u64 = i;
        EXPECT_TRUE(shard->inbox().post(message));
      }
    });
  }
  for (auto& poster : posters) poster.join();
  const std::uint64_t expected = shards.size() * kPosts * (kPosts + 1) / 2;
  EXPECT_TRUE(eventually([&] { return sum.load() == expected; }));
  EXPECT_FALSE(wrong_thread.load());
  (*engine)->request_stop();
  (*engine)->wait();
  MailboxMessage late;
  EXPECT_FALSE(shards[0]->inbox().post(late));  // stopped: the caller keeps the message
}

}  // namespace
}  // namespace rmq::engine
