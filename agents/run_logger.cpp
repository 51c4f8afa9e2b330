#include "agents/run_logger.h"

#include <cmath>
#include <cstdio>
#include <filesystem>

namespace fs = std::filesystem;

namespace mecrl::agents {

RunLogger::RunLogger(const std::string& run_dir, const std::vector<std::string>& columns, bool resume)
    : run_dir_(run_dir), columns_(columns), resume_(resume), tb_(run_dir) {}

void RunLogger::log(long long step, const Scalars& values) {
  if (!csv_) {
    if (resume_) truncate_run_logs(run_dir_, step);
    csv_ = std::make_unique<CsvWriter>(run_dir_ + "/metrics.csv",
                                       resume_ ? CsvWriter::Mode::kAppend : CsvWriter::Mode::kTruncate, columns_);
  }
  csv_->row(values);
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

long long truncate_run_logs(const std::string& run_dir, long long first_dropped_step) {
  long long dropped = 0;
  const std::string csv = run_dir + "/metrics.csv";
  std::error_code ec;
  if (fs::exists(csv, ec)) {
    dropped += static_cast<long long>(drop_csv_rows_from(csv, "global_step", static_cast<double>(first_dropped_step)));
  }
  for (fs::directory_iterator it(run_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind("events.out.tfevents.", 0) != 0) continue;
    if (!it->is_regular_file(ec)) continue;
    dropped += drop_events_from_step(it->path().string(), first_dropped_step);
  }
  return dropped;
}

}  // namespace mecrl::agents
