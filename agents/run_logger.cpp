#include "agents/run_logger.h"

#include <cmath>
#include <cstdio>

namespace mecrl::agents {

RunLogger::RunLogger(const std::string& run_dir, const std::vector<std::string>& columns, bool resume)
    : csv_(run_dir + "/metrics.csv", resume ? CsvWriter::Mode::kAppend : CsvWriter::Mode::kTruncate, columns),
      tb_(run_dir) {}

void RunLogger::log(long long step, const Scalars& values) {
  csv_.row(values);
  for (const auto& [tag, v] : values) {
    if (tag == "global_step" || std::isnan(v)) continue;
    tb_.scalar(tag, step, static_cast<float>(v));
  }
  tb_.flush();
}

void RunLogger::print_line(const std::string& line) {
  std::fputs(line.c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

}  // namespace mecrl::agents
