// The SHA-256 of a capture file's bytes: a run records it with the source, so that the same capture read
// into one database twice is recognised (and skipped) rather than counted twice.
#pragma once

#include <string>

namespace ww {

// Lower-case hex SHA-256 of the regular file at `path`, read in 1 MiB blocks; empty for anything that is not
// a regular file (standard input, a FIFO), and on a read error (with `error` set).
std::string file_sha256(const std::string& path, std::string& error);

}  // namespace ww
