// Baseline for the benchmark: libpcap's own read loop, counting packets and nothing else. wardwatch's
// throughput is reported next to this figure (the cost floor of reading the file).
#include <pcap/pcap.h>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: ww_pcap_count FILE\n");
    return 2;
  }
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* h = pcap_open_offline(argv[1], err);
  if (!h) {
    std::fprintf(stderr, "%s\n", err);
    return 1;
  }
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  unsigned long packets = 0, bytes = 0;
  while (pcap_next_ex(h, &hdr, &data) == 1) {
    ++packets;
    bytes += hdr->len;
  }
  pcap_close(h);
  std::printf("%lu packets %lu bytes\n", packets, bytes);
  return 0;
}
