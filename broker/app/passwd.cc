#include "broker/app/passwd.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "broker/password_file.h"

namespace rmq::app {
namespace {

struct PasswdArgs {
  bool create = false;
  bool batch = false;
  bool remove = false;
  std::uint32_t iterations = broker::kDefaultPbkdf2Iterations;
  std::vector<std::string> positional;  // FILE USER [PASSWORD]
};

int fail(const std::string& message) {
  std::fprintf(stderr, "ringmq passwd: %s\n", message.c_str());
  return 1;
}

// Wipes a password before its memory is released.
struct Secret {
  std::string text;
  ~Secret() {
    if (!text.empty()) OPENSSL_cleanse(text.data(), text.size());
  }
};

// One line from stdin; with a terminal, prompts on stderr and turns echo off meanwhile.
std::optional<std::string> read_line(const char* prompt) {
  const bool tty = isatty(STDIN_FILENO) == 1;
  termios saved{};
  if (tty && tcgetattr(STDIN_FILENO, &saved) == 0) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    std::fputs(prompt, stderr);
    std::fflush(stderr);
  }
  std::string line;
  const bool got = static_cast<bool>(std::getline(std::cin, line));
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    std::fputs("\n", stderr);
  }
  if (!got) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// The password, asked twice; empty on failure (reported).
bool ask_password(Secret& out) {
  const std::optional<std::string> first = read_line("Password: ");
  const std::optional<std::string> second = read_line("Reenter password: ");
  Secret a{first.value_or("")};
  Secret b{second.value_or("")};
  if (!first || !second) {
    fail("no password given on the input");
    return false;
  }
  if (a.text != b.text) {
    fail("passwords do not match");
    return false;
  }
  out.text = a.text;
  return true;
}

bool read_lines(const std::string& path, std::vector<std::string>& lines, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot read '" + path + "': " + std::strerror(errno);
    return false;
  }
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return true;
}

// Writes `lines` to a temporary file beside `path` and renames it over `path`.
bool write_lines(const std::string& path, const std::vector<std::string>& lines,
                 std::string* error) {
  struct stat st {};
  const mode_t mode = ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0600;
  std::string temp = path + ".XXXXXX";
  const int fd = mkstemp(temp.data());
  if (fd < 0) {
    *error = "cannot create a file beside '" + path + "': " + std::strerror(errno);
    return false;
  }
  std::string text;
  for (const std::string& line : lines) text += line + "\n";
  bool ok = fchmod(fd, mode) == 0;
  for (std::size_t done = 0; ok && done < text.size();) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    ok = n > 0;
    if (ok) done += static_cast<std::size_t>(n);
  }
  ok = ok && fsync(fd) == 0;
  ok = (::close(fd) == 0) && ok;
  if (!ok || ::rename(temp.c_str(), path.c_str()) != 0) {
    *error = "cannot write '" + path + "': " + std::strerror(errno);
    ::unlink(temp.c_str());
    return false;
  }
  return true;
}

std::string check_user(const std::string& user) {
  if (user.empty()) return "the user name is empty";
  if (user.size() > 65535) return "the user name is longer than 65535 bytes";
  if (user.find_first_of(":\r\n") != std::string::npos) {
    return "the user name must not contain ':' or a line break";
  }
  if (user.front() == ' ' || user.front() == '\t' || user.back() == ' ' || user.back() == '\t' ||
      user.front() == '#') {
    return "the user name must not start with '#' or start or end with a blank";
  }
  return {};
}

int edit(const PasswdArgs& a) {
  const std::string& path = a.positional[0];
  const std::string& user = a.positional[1];
  if (const std::string why = check_user(user); !why.empty()) return fail(why);
  std::vector<std::string> lines;
  std::string error;
  if (!a.create && !read_lines(path, lines, &error)) return fail(error);
  if (a.remove) {
    if (!broker::remove_user_line(lines, user)) {
      return fail("user '" + user + "' is not in '" + path + "'");
    }
    return write_lines(path, lines, &error) ? 0 : fail(error);
  }
  Secret password;
  if (a.batch) {
    password.text = a.positional[2];
  } else if (!ask_password(password)) {
    return 1;
  }
  if (password.text.empty()) return fail("the password is empty");
  if (password.text.find_first_of("\r\n") != std::string::npos) {
    return fail("the password must not contain a line break");
  }
  const Result<broker::PasswordHash> hash =
      broker::make_password_hash(broker::password_bytes(password.text), a.iterations);
  if (!hash.ok()) return fail(hash.status().message());
  broker::set_user_line(lines, user, broker::format_password_hash(*hash));
  return write_lines(path, lines, &error) ? 0 : fail(error);
}

}  // namespace

int run_passwd(const std::vector<std::string>& args) {
  PasswdArgs a;
  CLI::App app("ringmq passwd: create and edit Mosquitto password files", "ringmq passwd");
  app.add_flag("-c", a.create, "Create FILE (an existing one is overwritten)");
  app.add_flag("-b", a.batch, "Take the password from the command line");
  app.add_flag("-D", a.remove, "Delete USER");
  app.add_option("-I", a.iterations, "PBKDF2 iterations of the new hash")
      ->check(CLI::Range(1u, 0x7FFFFFFFu))
      ->capture_default_str();
  app.add_option("args", a.positional, "FILE USER [PASSWORD]")->required();
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "ringmq passwd: %s\n", e.what());
    return 2;
  }
  const std::size_t wanted = a.batch ? 3 : 2;
  if (a.positional.size() != wanted) {
    std::fprintf(stderr, "ringmq passwd: expected %s\n",
                 a.batch ? "FILE USER PASSWORD (with -b)" : "FILE USER");
    return 2;
  }
  if (a.remove && (a.create || a.batch)) {
    std::fputs("ringmq passwd: -D goes with neither -c nor -b\n", stderr);
    return 2;
  }
  return edit(a);
}

}  // namespace rmq::app
