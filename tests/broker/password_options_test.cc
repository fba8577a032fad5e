// The authentication flags: --password-file, --allow-anonymous (and its default, resolved once
// every way of authenticating clients is known), --tls-identity-as-username.
#include <gtest/gtest.h>

#include "broker/app/options.h"

namespace rmq::app {
namespace {

TEST(PasswordOptions, AllowAnonymousDefaultsToTrueOnlyWithoutOtherAuthentication) {
  ParseResult r = parse_options({});
  ASSERT_EQ(r.exit_code, -1) << r.output;
  EXPECT_FALSE(r.options.allow_anonymous.has_value());
  EXPECT_TRUE(r.options.password_file.empty());
  EXPECT_FALSE(r.options.broker.identity_as_username);
  resolve_allow_anonymous(r.options, AuthSources{});
  EXPECT_TRUE(r.options.broker.allow_anonymous);
  for (const AuthSources sources :
       {AuthSources{true, false, false}, AuthSources{false, true, false},
        AuthSources{false, false, true}}) {
    resolve_allow_anonymous(r.options, sources);
    EXPECT_FALSE(r.options.broker.allow_anonymous);
  }
}

TEST(PasswordOptions, GivenValuesWin) {
  ParseResult r = parse_options({"--password-file", "/etc/ringmq/pw", "--allow-anonymous", "true",
                                 "--tls-identity-as-username"});
  ASSERT_EQ(r.exit_code, -1) << r.output;
  EXPECT_EQ(r.options.password_file, "/etc/ringmq/pw");
  EXPECT_EQ(r.options.allow_anonymous, true);
  EXPECT_TRUE(r.options.broker.identity_as_username);
  resolve_allow_anonymous(r.options, AuthSources{true, true, true});
  EXPECT_TRUE(r.options.broker.allow_anonymous);

  r = parse_options({"--allow-anonymous", "false"});
  ASSERT_EQ(r.exit_code, -1) << r.output;
  resolve_allow_anonymous(r.options, AuthSources{});
  EXPECT_FALSE(r.options.broker.allow_anonymous);
}

TEST(PasswordOptions, BadBooleansAreOneLineErrors) {
  ParseResult r = parse_options({"--allow-anonymous", "yes"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.output, "--allow-anonymous: 'yes' is not true or false");
}

}  // namespace
}  // namespace rmq::app
