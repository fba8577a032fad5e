// `ringmq passwd`: creates and edits Mosquitto password files, as mosquitto_passwd does.
//
//   ringmq passwd [-c] [-I N] FILE USER            asks for the password (twice, no echo)
//   ringmq passwd [-c] [-I N] -b FILE USER PASSWORD
//   ringmq passwd -D FILE USER                     deletes USER
//
// -c creates (or truncates) FILE; without it FILE must exist. Hashes are $7$ (PBKDF2-HMAC-SHA512)
// with N iterations (default 101, as mosquitto_passwd) and a random 12-byte salt, so Mosquitto
// reads the files too. Other lines (other users, comments) are kept as they are. The file is
// replaced in one step (a temporary file renamed over it), keeping its permissions; a new file
// is readable by its owner only.
#pragma once

#include <string>
#include <vector>

namespace rmq::app {

// `args`: the arguments after "passwd". Returns the process exit code (0 done, 1 failed, 2 bad
// usage); errors go to stderr as one line.
int run_passwd(const std::vector<std::string>& args);

}  // namespace rmq::app
