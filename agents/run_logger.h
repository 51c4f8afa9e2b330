// Where a training run's numbers go: metrics.csv, TensorBoard event files,
// and one progress line per iteration on stdout. Tags follow CleanRL
// (charts/, losses/) with MEC quantities under mec/ and constraints/.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/csv_writer.h"
#include "core/tfevents.h"

namespace mecrl::agents {

using Scalars = std::vector<std::pair<std::string, double>>;

class RunLogger {
 public:
  // resume: append to metrics.csv (its header must match the columns).
  RunLogger(const std::string& run_dir, const std::vector<std::string>& columns, bool resume);
  void log(long long step, const Scalars& values);  // one row, one TB scalar per value, flushed
  static void print_line(const std::string& line);

 private:
  CsvWriter csv_;
  TfEventsWriter tb_;
};

}  // namespace mecrl::agents
