// The progress line: its text (hand-written expectations) and the terminal
// control it writes (captured through a temporary file).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "core/progress.h"

namespace mecrl {
namespace {

TEST(Progress, DurationFormat) {
  EXPECT_EQ(format_duration(7.9), "0m07s");
  EXPECT_EQ(format_duration(750), "12m30s");
  EXPECT_EQ(format_duration(3 * 3600 + 5 * 60 + 59), "3h05m");
  EXPECT_EQ(format_duration(-1), "-");
  EXPECT_EQ(format_duration(INFINITY), "-");
  EXPECT_EQ(format_duration(NAN), "-");
}

TEST(Progress, CountFormat) {
  EXPECT_EQ(format_count(0), "0");
  EXPECT_EQ(format_count(950), "950");
  EXPECT_EQ(format_count(12345), "12.3k");
  EXPECT_EQ(format_count(1500), "1.50k");
  EXPECT_EQ(format_count(999999), "1.00M");
  EXPECT_EQ(format_count(4.2e9), "4.20G");
  EXPECT_EQ(format_count(NAN), "-");
}

TEST(Progress, LineText) {
  // 50 of 100 in 10 s: 5 per second, 50 left: 10 s.
  EXPECT_EQ(progress_text("eval x", 50, 100, "cell-slots", 10),
            "eval x 50/100 cell-slots  50% | 5 cell-slots/s | eta 0m10s");
  // 6,000 of 120,000 in 4 s: 1.5k/s, 114,000 left: 76 s.
  EXPECT_EQ(progress_text("sweep", 6000, 120000, "points", 4),
            "sweep 6.00k/120k points   5% | 1.50k points/s | eta 1m16s");
  // Nothing done yet: no rate, no estimate.
  EXPECT_EQ(progress_text("bench", 0, 8, "benchmarks", 0), "bench 0/8 benchmarks   0% | - benchmarks/s | eta -");
}

std::string captured(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string s;
  for (int c; (c = std::fgetc(f)) != EOF;) s += static_cast<char>(c);
  return s;
}

TEST(Progress, DrawsNotesAndErases) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    ProgressLine p("sweep", 4, "points", f);
    const std::string start = captured(f);
    EXPECT_EQ(start.rfind("\rsweep 0/4 points   0%", 0), 0u) << start;
    EXPECT_NE(start.find("\033[K"), std::string::npos);
    p.note("[1/4] done");  // erases, prints the note, redraws
    p.set(1);              // within 0.1 s of the last draw: throttled
    const std::string mid = captured(f);
    EXPECT_NE(mid.find("\r\033[K[1/4] done\n\rsweep 0/4"), std::string::npos) << mid;
    EXPECT_EQ(mid.find("sweep 1/4"), std::string::npos) << mid;
    p.set(4);  // the end is always drawn
    EXPECT_NE(captured(f).find("sweep 4/4 points 100%"), std::string::npos);
    p.finish();
    const std::string end = captured(f);
    EXPECT_EQ(end.substr(end.size() - 4), "\r\033[K");
  }
  std::fclose(f);
}

TEST(Progress, DisabledWritesNothing) {
  std::FILE* f = std::tmpfile();
  {
    ProgressLine p("eval", 10, "cell-slots", nullptr);
    p.set(5);
    p.clear();
    p.finish();
  }
  EXPECT_EQ(captured(f), "");
  std::fclose(f);
  EXPECT_EQ(ProgressLine::terminal(true), nullptr);  // --json: never
  if (!isatty(1) || !isatty(2)) {  // ctest's pipes
    EXPECT_EQ(ProgressLine::terminal(false), nullptr);
  }
}

}  // namespace
}  // namespace mecrl
