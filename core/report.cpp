#include "core/report.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"

namespace mecrl {

namespace {
std::string number(double v) {
  if (std::isnan(v)) return "-";
  if (v != 0 && (std::fabs(v) >= 1e6 || std::fabs(v) < 1e-3)) return fmt::format("{:.4g}", v);
  return fmt::format("{:.4f}", v);
}
}  // namespace

void print_report_table(std::ostream& os, const Report& r) {
  if (!r.title.empty()) os << r.title << "\n";
  for (const auto& [k, v] : r.header) os << fmt::format("  {:<14} {}\n", k + ":", v);
  size_t wk = 6;
  for (const auto& m : r.metrics) wk = std::max(wk, m.key.size());
  os << fmt::format("  {:<{}}  {:>12}  {:>10}  {}\n", "metric", wk, "value", "+/- se", "meaning");
  os << "  " << std::string(wk + 2 + 12 + 2 + 10 + 2 + 7, '-') << "\n";
  for (const auto& m : r.metrics) {
    os << fmt::format("  {:<{}}  {:>12}  {:>10}  {}\n", m.key, wk, number(m.value),
                      std::isnan(m.se) ? "" : number(m.se), m.doc);
  }
}

void print_report_json(std::ostream& os, const Report& r) {
  nlohmann::ordered_json j;
  for (const auto& [k, v] : r.header) j[k] = v;
  nlohmann::ordered_json metrics = nlohmann::ordered_json::object();
  nlohmann::ordered_json se = nlohmann::ordered_json::object();
  for (const auto& m : r.metrics) {
    metrics[m.key] = std::isnan(m.value) ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(m.value);
    if (!std::isnan(m.se)) se[m.key] = m.se;
  }
  j["metrics"] = metrics;
  j["se"] = se;
  os << j.dump() << "\n";
}

void write_samples_csv(const std::string& path, const Report& r, const std::string& origin) {
  if (r.samples.empty()) throw UsageError(fmt::format("{}: this evaluation has no per-item samples", origin));
  std::string text;
  for (size_t c = 0; c < r.samples.size(); ++c) text += (c ? "," : "") + r.samples[c].first;
  text += "\n";
  const size_t rows = r.samples.front().second.size();
  text.reserve(text.size() + rows * 12 * r.samples.size());
  for (size_t i = 0; i < rows; ++i) {
    for (size_t c = 0; c < r.samples.size(); ++c) {
      if (c) text += ',';
      fmt::format_to(std::back_inserter(text), "{:.7g}", r.samples[c].second[i]);
    }
    text += '\n';
  }
  write_file_atomic(path, text);
}

}  // namespace mecrl
