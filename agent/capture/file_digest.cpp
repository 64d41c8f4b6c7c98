#include "agent/capture/file_digest.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "wardwatch/text.hpp"

namespace ww {
namespace {

// Closes a descriptor and frees the hash state on every return path.
struct Reading {
  int fd = -1;
  XXH3_state_t* state = XXH3_createState();
  ~Reading() {
    XXH3_freeState(state);
    if (fd >= 0) ::close(fd);
  }
};

// Read in blocks, not mapped: a mapping of a 1 GB capture counted the whole file in the process's peak
// RSS (file pages, but what `time -f %M` and a sensor's memory limit see), for no gain in speed.
constexpr std::size_t kBlock = 1 << 20;

std::string hex128(const XXH128_hash_t& h) {
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, h);  // big-endian bytes: the hex reads as the number
  std::string out = "xxh3-128:";
  for (const unsigned char byte : canonical.digest) {
    out += kHexDigits[byte >> 4];
    out += kHexDigits[byte & 0xf];
  }
  return out;
}

}  // namespace

std::string file_content_hash(const std::string& path, std::string& error) {
  if (path == "-") return {};
  Reading file;
  file.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st{};
  if (file.fd < 0 || ::fstat(file.fd, &st) != 0) {
    error = std::strerror(errno);
    return {};
  }
  if (!S_ISREG(st.st_mode)) return {};
  if (file.state == nullptr || XXH3_128bits_reset(file.state) != XXH_OK) {
    error = "out of memory";
    return {};
  }
  ::posix_fadvise(file.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  std::vector<unsigned char> block(kBlock);
  for (;;) {
    const ssize_t n = ::read(file.fd, block.data(), block.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = std::strerror(errno);
      return {};
    }
    if (n == 0) break;
    XXH3_128bits_update(file.state, block.data(), static_cast<std::size_t>(n));
  }
  return hex128(XXH3_128bits_digest(file.state));
}

}  // namespace ww
