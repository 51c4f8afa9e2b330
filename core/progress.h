// The progress line of long commands (eval, sweep, bench): one line on the
// terminal, redrawn in place, with what is done, the rate and the time left:
//   eval greedy   61440/122880 cell-slots  50% | 12.3k cell-slots/s | eta 0m05s
// It is drawn only for a person watching: on stderr, and only when stdout
// and stderr are both terminals and the command was not asked for machine
// output (--json). A pipe, a log file or a JSON consumer sees none of it.
// `train` prints its own line per iteration (agents/run_logger.h) with the
// same duration format (format_duration).
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

namespace mecrl {

// "0m07s", "12m30s", "3h05m"; "-" for a negative or non-finite time.
std::string format_duration(double seconds);

// 950 -> "950", 12345 -> "12.3k", 4.2e9 -> "4.20G" (3 significant digits).
std::string format_count(double value);

// The text of one progress line (no control characters): label, done/total
// unit, percent, rate per second and the time left at that rate.
std::string progress_text(const std::string& label, double done, double total, const std::string& unit,
                          double elapsed_s);

class ProgressLine {
 public:
  // out: where to draw (nullptr = disabled: every call does nothing except
  // note(), which then prints its line to stderr as a plain log line).
  ProgressLine(std::string label, double total, std::string unit, std::FILE* out);
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // stderr if both stdout and stderr are terminals and !machine_output
  // (MECRL_PROGRESS=0 turns it off), else nullptr.
  static std::FILE* terminal(bool machine_output);

  void set(double done);  // redraws at most every 0.1 s (and at the end)
  void advance(double n = 1) { set(done_ + n); }
  // A line that stays (a finished sweep point): printed above the progress line.
  void note(const std::string& line);
  // Erases the line until the next set(), for output of the caller's own.
  void clear();
  // Erases the line for good (the command's own output follows on a clean terminal).
  void finish();

 private:
  void draw();
  std::string label_, unit_;
  double total_, done_ = 0;
  std::FILE* out_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace mecrl
