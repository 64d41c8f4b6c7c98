// Read-only packet sources on libpcap: capture files (pcap and pcapng) and live interfaces. Strictly
// passive: this class never calls pcap_inject/pcap_sendpacket, and opens no other socket.
#pragma once

#include <pcap/pcap.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "wardwatch/byte_reader.hpp"

namespace ww {

class CaptureError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// How a live interface is opened (docs/usage.md).
struct LiveOptions {
  std::string bpf_filter;
  int snaplen = 262144;                    // bytes kept per packet
  int buffer_bytes = 32 * 1024 * 1024;     // the kernel ring: what absorbs a burst while we are busy
};

struct CapturedPacket {
  Bytes data;
  std::uint32_t wire_len = 0;
  std::int64_t ts_us = 0;
};

class PcapSource {
 public:
  enum class Next { packet, timeout, end, truncated, error };

  // Throws CaptureError with a one-line reason (missing, directory, not a capture, empty, link type, bad
  // filter). "-" reads standard input. A filter applies to files as tcpdump's does.
  static PcapSource open_file(const std::string& path, const std::string& bpf_filter = {});
  // Opens `interface` non-blocking: next() returns Next::timeout at once when nothing is waiting, and the
  // caller waits on selectable_fd() (with its signals) instead of inside libpcap, whose read timeout
  // never fires on a silent interface with TPACKET_V3.
  static PcapSource open_live(const std::string& interface, const LiveOptions& options);

  PcapSource(PcapSource&& other) noexcept;
  PcapSource& operator=(PcapSource&& other) noexcept;
  PcapSource(const PcapSource&) = delete;
  PcapSource& operator=(const PcapSource&) = delete;
  ~PcapSource();

  Next next(CapturedPacket& out);
  [[nodiscard]] int linktype() const { return linktype_; }
  [[nodiscard]] std::string linktype_name() const;
  [[nodiscard]] const std::string& format() const { return format_; }
  [[nodiscard]] std::string last_error() const;
  // Byte offset in the capture file (for progress), and its size; 0 for live sources.
  [[nodiscard]] std::uint64_t file_offset() const;
  [[nodiscard]] std::uint64_t file_size() const { return file_size_; }
  // A descriptor that poll() reports readable when packets wait (live only; -1 for files).
  [[nodiscard]] int selectable_fd() const;
  // libpcap's received / dropped-by-kernel / dropped-by-interface counters (live only).
  bool counters(std::uint64_t& received, std::uint64_t& dropped, std::uint64_t& if_dropped) const;

 private:
  PcapSource() = default;
  void apply_filter(const std::string& bpf_filter, const std::string& what);
  static constexpr std::size_t kFileBufferBytes = 256 * 1024;
  pcap_t* handle_ = nullptr;
  std::unique_ptr<char[]> file_buffer_;  // the stdio buffer of a capture file's FILE; outlives pcap_close
  int linktype_ = 0;
  std::string format_;
  std::uint64_t file_size_ = 0;
};

}  // namespace ww
