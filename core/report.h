// An evaluation report: ordered named metrics with unit and standard error,
// printed as an aligned table or as one JSON object.
#pragma once

#include <cmath>
#include <ostream>
#include <string>
#include <vector>

namespace mecrl {

struct Metric {
  std::string key;   // snake_case, unit suffix (latency_mean_s)
  double value = NAN;
  double se = NAN;   // standard error across episodes, NaN if not meaningful
  std::string doc;   // one line for the table
};

struct Report {
  std::string title;
  std::vector<std::pair<std::string, std::string>> header;  // (key, value): scenario, policy, N, ...
  std::vector<Metric> metrics;
  // The per-item values behind the summary (each completed query's latency,
  // each user's delay, ...), for distributions such as the report's CDFs:
  // (column name with unit, values), every column the same length.
  std::vector<std::pair<std::string, std::vector<double>>> samples;

  void add(std::string key, double value, std::string doc, double se = NAN) {
    metrics.push_back(Metric{std::move(key), value, se, std::move(doc)});
  }
  const Metric* find(const std::string& key) const {
    for (const auto& m : metrics) {
      if (m.key == key) return &m;
    }
    return nullptr;
  }
  double value(const std::string& key) const {
    const Metric* m = find(key);
    return m ? m->value : NAN;
  }
};

void print_report_table(std::ostream& os, const Report& r);
// {"scenario": ..., "policy": ..., "metrics": {"latency_mean_s": 1.2, ...}, "se": {...}}
void print_report_json(std::ostream& os, const Report& r);
// The samples as CSV (a header of column names, one row per item), written
// atomically; UsageError naming `origin` if the report has none.
void write_samples_csv(const std::string& path, const Report& r, const std::string& origin);

}  // namespace mecrl
