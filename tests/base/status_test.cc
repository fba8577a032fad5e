#include <string>

#include <gtest/gtest.h>

#include "base/status.h"

namespace rmq {
namespace {

TEST(Status, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
}

TEST(Status, CarriesCodeMessageAndErrno) {
  Status s = Status::Errno(StatusCode::kIoError, "write failed", 28);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_STREQ(s.message(), "write failed");
  EXPECT_EQ(s.sys_errno(), 28);
  EXPECT_EQ(to_string(s.code()), "I/O error");
}

Result<std::string> MakeGreeting(bool fail) {
  if (fail) return Status(StatusCode::kInvalidArgument, "no greeting");
  return std::string("hello");
}

TEST(Result, HoldsValueOrError) {
  Result<std::string> good = MakeGreeting(false);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, "hello");
  EXPECT_EQ(good->size(), 5u);

  Result<std::string> bad = MakeGreeting(true);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

TEST(Result, CopiesAndMoves) {
  Result<std::string> a = MakeGreeting(false);
  Result<std::string> b = a;
  Result<std::string> c = std::move(a);
  EXPECT_EQ(*b, "hello");
  EXPECT_EQ(*c, "hello");
  b = MakeGreeting(true);
  EXPECT_FALSE(b.ok());
  b = c;
  EXPECT_EQ(*b, "hello");
}

Status Chain(bool fail) {
  RMQ_RETURN_IF_ERROR(fail ? Status(StatusCode::kInternal, "inner") : OkStatus());
  return OkStatus();
}

TEST(Status, ReturnIfErrorPropagates) {
  EXPECT_TRUE(Chain(false).ok());
  EXPECT_EQ(Chain(true).code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace rmq
