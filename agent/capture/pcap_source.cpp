#include "agent/capture/pcap_source.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>

#include "agent/decode/decoder.hpp"

namespace ww {

namespace {

// The capture file's FILE and its first four bytes (the format's magic number). "-" is standard input (a
// duplicate of its descriptor, so that pcap_close does not close fd 0).
FILE* open_capture_file(const std::string& path, std::uint64_t& size, std::uint32_t& magic) {
  if (path == "-") {
    const int fd = ::dup(STDIN_FILENO);
    FILE* f = fd < 0 ? nullptr : ::fdopen(fd, "rb");
    if (!f) {
      if (fd >= 0) ::close(fd);
      throw CaptureError("standard input: " + std::string(std::strerror(errno)));
    }
    size = 0;
    magic = 0;  // not known before libpcap reads it: the format is told from libpcap's answers below
    return f;
  }
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) throw CaptureError(path + ": " + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw CaptureError(path + ": is a directory, not a capture file");
  if (st.st_size == 0) throw CaptureError(path + ": empty file, not a capture");
  {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw CaptureError(path + ": " + std::strerror(errno));
    in.read(reinterpret_cast<char*>(&magic), sizeof magic);
  }
  size = static_cast<std::uint64_t>(st.st_size);
  FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) throw CaptureError(path + ": " + std::strerror(errno));
  return file;
}

}  // namespace

PcapSource PcapSource::open_file(const std::string& path, const std::string& bpf_filter) {
  std::uint32_t magic = 0;
  std::uint64_t size = 0;
  char err[PCAP_ERRBUF_SIZE] = {};
  // libpcap reads files through stdio; a larger buffer than the 4 KiB default turns ~250k read() calls per
  // GB into a few thousand (the calls cost more kernel time than the copy itself). glibc ignores setvbuf's
  // size unless it is given the buffer, which must outlive the FILE: it is ours, freed after pcap_close.
  // libpcap owns the FILE from here (pcap_close closes it).
  auto buffer = std::make_unique_for_overwrite<char[]>(kFileBufferBytes);  // first: nothing to leak if it throws
  FILE* file = open_capture_file(path, size, magic);
  const std::string name = path == "-" ? "standard input" : path;
  std::setvbuf(file, buffer.get(), _IOFBF, kFileBufferBytes);
  pcap_t* h = pcap_fopen_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_MICRO, err);
  if (!h) {
    std::fclose(file);
    std::string why = err;
    if (why.find("unknown file format") != std::string::npos) why = "not a pcap or pcapng capture file";
    if (path == "-" && why.find("truncated dump file") != std::string::npos) why = "empty, not a capture";
    throw CaptureError(name + ": " + why);
  }
  PcapSource s;
  s.handle_ = h;
  s.file_buffer_ = std::move(buffer);
  s.linktype_ = pcap_datalink(h);
  if (path == "-") {
    // libpcap reports the version of the format it read: pcapng sections are 1.0, classic pcap 2.x.
    s.format_ = pcap_major_version(h) == 1 ? "pcapng" : "pcap";
  } else {
    s.format_ = magic == 0x0a0d0d0a ? "pcapng" : "pcap";  // pcapng Section Header Block type
  }
  s.file_size_ = size;
  if (!is_supported_linktype(s.linktype_)) {
    throw CaptureError(name + ": unsupported link type " + s.linktype_name() + " (" + std::to_string(s.linktype_) + ")");
  }
  if (!bpf_filter.empty()) s.apply_filter(bpf_filter, name);
  return s;
}

PcapSource PcapSource::open_live(const std::string& interface, const LiveOptions& options) {
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* h = pcap_create(interface.c_str(), err);
  if (!h) throw CaptureError(interface + ": " + err);
  PcapSource s;
  s.handle_ = h;
  s.format_ = "live";
  pcap_set_snaplen(h, options.snaplen);
  pcap_set_promisc(h, 1);  // a SPAN port delivers frames for other MACs
  // The kernel hands over a block of packets when it is full or this many ms old: our wake-up latency under
  // light traffic. (It is not a read timeout: a silent interface never wakes a blocking read.)
  pcap_set_timeout(h, 200);
  pcap_set_buffer_size(h, options.buffer_bytes);
  const int rc = pcap_activate(h);
  if (rc < 0) {
    std::string why = pcap_geterr(h);
    if (rc == PCAP_ERROR_NO_SUCH_DEVICE) why = "no such interface";
    else if (rc == PCAP_ERROR_PERM_DENIED) why = "permission denied (needs root or CAP_NET_RAW)";
    else if (rc == PCAP_ERROR_IFACE_NOT_UP) why = "interface is down";
    throw CaptureError(interface + ": " + why);
  }
  s.linktype_ = pcap_datalink(h);
  if (!is_supported_linktype(s.linktype_)) {
    throw CaptureError(interface + ": unsupported link type " + s.linktype_name());
  }
  if (!options.bpf_filter.empty()) s.apply_filter(options.bpf_filter, interface);
  if (pcap_setnonblock(h, 1, err) != 0) throw CaptureError(interface + ": cannot read non-blocking: " + err);
  if (pcap_get_selectable_fd(h) < 0) throw CaptureError(interface + ": no selectable descriptor");
  return s;
}

void PcapSource::apply_filter(const std::string& bpf_filter, const std::string& what) {
  bpf_program prog{};
  if (pcap_compile(handle_, &prog, bpf_filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
    throw CaptureError(what + ": bad filter '" + bpf_filter + "': " + pcap_geterr(handle_));
  }
  const int set = pcap_setfilter(handle_, &prog);
  pcap_freecode(&prog);
  if (set != 0) throw CaptureError(what + ": cannot set filter: " + std::string(pcap_geterr(handle_)));
}

int PcapSource::selectable_fd() const { return handle_ && format_ == "live" ? pcap_get_selectable_fd(handle_) : -1; }

PcapSource::PcapSource(PcapSource&& o) noexcept
    : handle_(o.handle_), file_buffer_(std::move(o.file_buffer_)), linktype_(o.linktype_),
      format_(std::move(o.format_)), file_size_(o.file_size_) {
  o.handle_ = nullptr;
}

PcapSource& PcapSource::operator=(PcapSource&& o) noexcept {
  if (this != &o) {
    if (handle_) pcap_close(handle_);
    handle_ = o.handle_;
    file_buffer_ = std::move(o.file_buffer_);  // after pcap_close: the old FILE no longer uses its buffer
    linktype_ = o.linktype_;
    format_ = std::move(o.format_);
    file_size_ = o.file_size_;
    o.handle_ = nullptr;
  }
  return *this;
}

PcapSource::~PcapSource() {
  if (handle_) pcap_close(handle_);
}

PcapSource::Next PcapSource::next(CapturedPacket& out) {
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  const int rc = pcap_next_ex(handle_, &hdr, &data);
  if (rc == 1) {
    out.data = Bytes(data, hdr->caplen);
    out.wire_len = hdr->len;
    out.ts_us = static_cast<std::int64_t>(hdr->ts.tv_sec) * 1'000'000 + hdr->ts.tv_usec;
    return Next::packet;
  }
  if (rc == 0) return Next::timeout;
  if (rc == PCAP_ERROR_BREAK) return Next::end;
  const std::string err = pcap_geterr(handle_);
  return err.find("truncated") != std::string::npos ? Next::truncated : Next::error;
}

std::string PcapSource::linktype_name() const {
  const char* name = pcap_datalink_val_to_name(linktype_);
  return name ? name : "UNKNOWN";
}

std::string PcapSource::last_error() const { return handle_ ? pcap_geterr(handle_) : ""; }

std::uint64_t PcapSource::file_offset() const {
  if (!handle_ || format_ == "live") return 0;
  FILE* f = pcap_file(handle_);
  const long pos = f ? std::ftell(f) : 0;
  return pos > 0 ? static_cast<std::uint64_t>(pos) : 0;
}

bool PcapSource::counters(std::uint64_t& received, std::uint64_t& dropped, std::uint64_t& if_dropped) const {
  pcap_stat st{};
  if (!handle_ || format_ != "live" || pcap_stats(handle_, &st) != 0) return false;
  received = st.ps_recv;
  dropped = st.ps_drop;
  if_dropped = st.ps_ifdrop;
  return true;
}

}  // namespace ww
