#include "core/progress.h"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <cstring>

namespace mecrl {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "-";
  const long s = static_cast<long>(seconds);
  return s >= 3600 ? fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60) : fmt::format("{}m{:02}s", s / 60, s % 60);
}

std::string format_count(double v) {
  if (!std::isfinite(v)) return "-";
  const double a = std::fabs(v);
  if (a < 1000) return fmt::format("{:.0f}", v);
  const char* suffix[] = {"k", "M", "G", "T", "P"};
  int k = -1;
  while (k < 4 && std::fabs(v) >= 999.5) {
    v /= 1000;
    ++k;
  }
  const int decimals = std::fabs(v) >= 99.95 ? 0 : std::fabs(v) >= 9.995 ? 1 : 2;
  return fmt::format("{:.{}f}{}", v, decimals, suffix[k]);
}

std::string progress_text(const std::string& label, double done, double total, const std::string& unit,
                          double elapsed_s) {
  const double rate = elapsed_s > 0 ? done / elapsed_s : NAN;
  const double left = rate > 0 ? (total - done) / rate : NAN;
  const double pct = total > 0 ? 100.0 * done / total : 0.0;
  return fmt::format("{} {}/{} {} {:3.0f}% | {} {}/s | eta {}", label, format_count(done), format_count(total), unit,
                     pct, format_count(rate), unit, format_duration(left));
}

ProgressLine::ProgressLine(std::string label, double total, std::string unit, std::FILE* out)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      out_(out),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {
  if (out_) draw();
}

ProgressLine::~ProgressLine() { finish(); }

std::FILE* ProgressLine::terminal(bool machine_output) {
  const char* env = std::getenv("MECRL_PROGRESS");
  if (machine_output || (env && std::strcmp(env, "0") == 0)) return nullptr;
  return isatty(STDOUT_FILENO) && isatty(STDERR_FILENO) ? stderr : nullptr;
}

void ProgressLine::set(double done) {
  done_ = done;
  if (!out_) return;
  const auto now = std::chrono::steady_clock::now();
  // Throttled, but a cleared line is redrawn at once.
  if (drawn_ && done_ < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  draw();
}

void ProgressLine::note(const std::string& line) {
  if (!out_) {
    std::fprintf(stderr, "%s\n", line.c_str());
    return;
  }
  clear();
  std::fprintf(out_, "%s\n", line.c_str());
  draw();
}

void ProgressLine::finish() {
  clear();
  out_ = nullptr;
}

void ProgressLine::draw() {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::string text = progress_text(label_, done_, total_, unit_, elapsed);
  // Wider than the terminal, the line would wrap and \r could not redraw it.
  winsize ws{};
  if (ioctl(fileno(out_), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 && text.size() >= ws.ws_col) {
    text.resize(ws.ws_col - 1);
  }
  std::fprintf(out_, "\r%s\033[K", text.c_str());
  std::fflush(out_);
  drawn_ = true;
}

void ProgressLine::clear() {
  if (!out_ || !drawn_) return;
  std::fputs("\r\033[K", out_);
  std::fflush(out_);
  drawn_ = false;
}

}  // namespace mecrl
