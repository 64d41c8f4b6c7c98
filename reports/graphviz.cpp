#include "reports/graphviz.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

extern char** environ;

namespace ww {
namespace {

namespace fs = std::filesystem;

// An SVG larger than this is not embedded (a map is bounded to kMapMaxJewels x kMapMaxContacts nodes: far less).
constexpr std::uintmax_t kMaxSvgBytes = 64ull << 20;

// A private directory (mkdtemp: mode 0700) removed with everything in it when this goes.
class TempDir {
 public:
  TempDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/wardwatch-dot-XXXXXX";
    if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Runs dot; its exit status, or -1 with errno's text in `why` when it could not start.
int run_dot(const std::string& in, const std::string& out, const std::string& err, std::string& why) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::string arg0 = "dot", arg1 = "-Tsvg", arg2 = "-o" + out, arg3 = in;
  char* argv[] = {arg0.data(), arg1.data(), arg2.data(), arg3.data(), nullptr};
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, "dot", &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    why = std::strerror(rc);
    return -1;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      why = std::strerror(errno);
      return -1;
    }
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

std::string first_line(const std::string& path) {
  std::ifstream f(path);
  std::string line;
  std::getline(f, line);
  return line.substr(0, 200);
}

// Graphviz writes labels as escaped text; a picture that nevertheless carried script or an event handler
// (which no DOT this project writes asks for) is refused rather than embedded.
bool looks_active(std::string_view svg) {
  std::string lower(svg);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* bad : {"<script", "javascript:", "<foreignobject"}) {
    if (lower.find(bad) != std::string::npos) return true;
  }
  // An attribute on...= (onload, onclick): " on", letters, '='. Label text is escaped and never has a bare '='
  // right after a word inside a tag, but text nodes can: look inside tags only.
  bool in_tag = false;
  for (std::size_t i = 0; i < lower.size(); ++i) {
    if (lower[i] == '<') in_tag = true;
    if (lower[i] == '>') in_tag = false;
    if (!in_tag || lower.compare(i, 3, " on") != 0) continue;
    std::size_t j = i + 3;
    while (j < lower.size() && std::isalpha(static_cast<unsigned char>(lower[j]))) ++j;
    if (j > i + 3 && j < lower.size() && lower[j] == '=') return true;
  }
  return false;
}

}  // namespace

SvgResult render_svg(std::string_view dot_text) {
  SvgResult r;
  TempDir dir;
  if (dir.path().empty()) {
    r.why_not = std::string("cannot make a temporary directory: ") + std::strerror(errno);
    return r;
  }
  const std::string in = dir.path() + "/map.dot", out = dir.path() + "/map.svg", err = dir.path() + "/dot.err";
  {
    std::ofstream f(in, std::ios::binary);
    f.write(dot_text.data(), static_cast<std::streamsize>(dot_text.size()));
    if (!f.flush()) {
      r.why_not = "cannot write the graph to " + in;
      return r;
    }
  }
  std::string why;
  const int status = run_dot(in, out, err, why);
  if (status < 0) {
    r.why_not = "Graphviz's dot could not run (" + why + "); install the graphviz package to draw the map";
    return r;
  }
  if (status != 0) {
    r.why_not = "Graphviz's dot failed (exit " + std::to_string(status) + "): " + first_line(err);
    return r;
  }
  std::error_code ec;
  const auto size = fs::file_size(out, ec);
  if (ec || size > kMaxSvgBytes) {
    r.why_not = ec ? "Graphviz's dot wrote no picture" : "the map's picture is larger than 64 MiB";
    return r;
  }
  std::ifstream f(out, std::ios::binary);
  std::string svg((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const auto start = svg.find("<svg");
  if (start == std::string::npos) {
    r.why_not = "Graphviz's dot wrote no <svg> element";
    return r;
  }
  svg.erase(0, start);
  if (looks_active(svg)) {
    r.why_not = "the map's picture held script or an event handler; it is left out";
    return r;
  }
  r.svg = std::move(svg);
  return r;
}

}  // namespace ww
