#include "agent/capture/file_digest.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstring>

#include "wardwatch/text.hpp"

namespace ww {
namespace {

// Closes a descriptor and unmaps a mapping on every return path.
struct MappedFile {
  int fd = -1;
  void* data = MAP_FAILED;
  std::size_t size = 0;
  ~MappedFile() {
    if (data != MAP_FAILED) ::munmap(data, size);
    if (fd >= 0) ::close(fd);
  }
};

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
  MappedFile file;
  file.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st{};
  if (file.fd < 0 || ::fstat(file.fd, &st) != 0) {
    error = std::strerror(errno);
    return {};
  }
  if (!S_ISREG(st.st_mode)) return {};
  if (st.st_size == 0) return hex128(XXH3_128bits(nullptr, 0));
  file.size = static_cast<std::size_t>(st.st_size);
  file.data = ::mmap(nullptr, file.size, PROT_READ, MAP_PRIVATE, file.fd, 0);
  if (file.data == MAP_FAILED) {
    error = std::strerror(errno);
    return {};
  }
  ::madvise(file.data, file.size, MADV_SEQUENTIAL);
  return hex128(XXH3_128bits(file.data, file.size));
}

}  // namespace ww
