// A capture file's content hash: a run records it with the source, so that the same capture read into one
// database twice — the same bytes under any name — is recognised (and skipped) rather than counted twice.
//
// XXH3-128 (libxxhash), not SHA-256: the hash names content for de-duplication, not for integrity against
// an adversary (the captures are the user's own files), and it must cost little beside the read itself.
// On the 2-core test machine SHA-256 (OpenSSL, with the SHA extensions) took 0.6 s of a 0.9 s `read --db`
// of the 924 MB benchmark capture; XXH3 over the mapped file takes a small fraction of that
// (docs/performance.md).
#pragma once

#include <string>

namespace ww {

// "xxh3-128:" and 32 lower-case hex digits of the regular file at `path` (memory-mapped); empty for anything
// that is not a regular file (standard input, a FIFO), and on an error (with `error` set).
std::string file_content_hash(const std::string& path, std::string& error);

}  // namespace ww
