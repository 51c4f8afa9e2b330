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
  // resume: continue metrics.csv (its header must match the columns). The
  // first log() of a resumed run first drops every row and TensorBoard event
  // at or after its step: the run was killed after logging them but before
  // the checkpoint it resumes from, so they are logged again now and would
  // otherwise appear twice (truncate_run_logs).
  RunLogger(const std::string& run_dir, const std::vector<std::string>& columns, bool resume);
  void log(long long step, const Scalars& values);  // one row, one TB scalar per value, flushed
  static void print_line(const std::string& line);

 private:
  std::string run_dir_;
  std::vector<std::string> columns_;
  bool resume_;
  std::unique_ptr<CsvWriter> csv_;  // opened by the first log(), after the truncation
  TfEventsWriter tb_;
};

// Drops from run_dir's metrics.csv (column global_step) and from every
// events.out.tfevents.* file what was logged at step >= first_dropped_step.
// Returns the rows and events dropped.
long long truncate_run_logs(const std::string& run_dir, long long first_dropped_step);

}  // namespace mecrl::agents
