// sweep_uncertainty: plan (validate everything), run, write the CSV atomically.
#include "envs/uncertainty/sweep.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "core/error.h"
#include "envs/uncertainty/evaluate.h"
#include "envs/uncertainty/params_config.h"

namespace fs = std::filesystem;

namespace mecrl::uncertainty {
namespace {

struct Point {
  std::vector<std::pair<std::string, std::string>> assignments;
  UncertaintyParams params;
  EvalSettings settings;
};

std::string csv_number(double v) { return std::isnan(v) ? "" : fmt::format("{:.9g}", v); }

// The Cartesian product of the axes, each point read and validated.
std::vector<Point> plan(const SweepRequest& req) {
  std::vector<Point> points;
  std::vector<size_t> idx(req.axes.size(), 0);
  for (;;) {
    Config cfg = req.base;
    Point pt;
    for (size_t a = 0; a < req.axes.size(); ++a) {
      const SweepAxis& ax = req.axes[a];
      cfg.set(ax.key, ax.values[idx[a]], ax.origin);
      pt.assignments.emplace_back(ax.key, ax.values[idx[a]]);
    }
    ConfigReader r(cfg);
    if (req.read_other) req.read_other(r);
    pt.params = read_uncertainty_params(r);
    pt.settings = read_eval_settings(r);
    r.finish();
    points.push_back(std::move(pt));
    // Odometer over the axes, last axis fastest.
    size_t a = req.axes.size();
    while (a > 0) {
      --a;
      if (++idx[a] < req.axes[a].values.size()) break;
      idx[a] = 0;
      if (a == 0) return points;
    }
    if (req.axes.empty()) return points;
  }
}

void write_csv(const std::string& path, const std::vector<SweepRow>& rows) {
  const Report& first = rows.front().report;
  const fs::path target(path);
  const fs::path tmp = target.parent_path() / (target.filename().string() + fmt::format(".tmp{}", getpid()));
  {
    std::ofstream out(tmp);
    if (!out) throw UsageError(fmt::format("--out {}: cannot write {}", path, tmp.string()));
    std::vector<std::string> cols;
    for (const auto& [k, v] : rows.front().point) cols.push_back(k);
    cols.push_back("policy");
    for (const auto& m : first.metrics) {
      cols.push_back(m.key);
      if (!std::isnan(m.se)) cols.push_back(m.key + "_se");
    }
    for (size_t c = 0; c < cols.size(); ++c) out << (c ? "," : "") << cols[c];
    out << "\n";
    for (const auto& row : rows) {
      bool first_col = true;
      auto put = [&](const std::string& s) {
        out << (first_col ? "" : ",") << s;
        first_col = false;
      };
      for (const auto& [k, v] : row.point) put(v);
      put(row.policy);
      for (const auto& m : first.metrics) {
        const Metric* got = row.report.find(m.key);
        put(csv_number(got ? got->value : NAN));
        if (!std::isnan(m.se)) put(csv_number(got ? got->se : NAN));
      }
      out << "\n";
    }
    out.flush();
    if (!out) {
      out.close();
      fs::remove(tmp);
      throw std::runtime_error("writing " + tmp.string() + " failed");
    }
  }
  fs::rename(tmp, target);
}

}  // namespace

SweepAxis parse_sweep_axis(const std::string& text) {
  SweepAxis ax;
  ax.origin = fmt::format("--set '{}'", text);
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) {
    throw UsageError(fmt::format("{}: expected KEY=V1,V2,... (e.g. env.num_users=50,60,70)", ax.origin));
  }
  ax.key = text.substr(0, eq);
  const std::string rest = text.substr(eq + 1);
  size_t start = 0;
  for (;;) {
    const auto comma = rest.find(',', start);
    const std::string v = rest.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (v.empty()) throw UsageError(fmt::format("{}: empty value in the list", ax.origin));
    ax.values.push_back(v);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return ax;
}

std::vector<SweepRow> sweep_uncertainty(const SweepRequest& req, std::ostream& log, ProgressLine* progress) {
  if (req.policies.empty()) throw UsageError("--policies: give at least one policy");
  std::vector<ActFn> acts;
  for (const auto& pol : req.policies) {
    if (req.resolve) {
      acts.push_back(req.resolve(pol));
    } else {
      check_baseline_name(pol, "--policies");
      acts.push_back(baseline_policy(pol));
    }
  }
  std::set<std::string> keys;
  for (const auto& ax : req.axes) {
    if (!keys.insert(ax.key).second) throw UsageError(fmt::format("{}: key '{}' is set twice", ax.origin, ax.key));
  }
  if (req.out_csv.empty()) throw UsageError("--out: give the CSV path");
  const fs::path dir = fs::path(req.out_csv).parent_path();
  if (!dir.empty() && !fs::is_directory(dir)) {
    throw UsageError(fmt::format("--out {}: directory '{}' does not exist", req.out_csv, dir.string()));
  }
  const std::vector<Point> points = plan(req);

  std::vector<SweepRow> rows;
  const size_t total = points.size() * req.policies.size();
  for (const Point& pt : points) {
    for (size_t k = 0; k < req.policies.size(); ++k) {
      const std::string& pol = req.policies[k];
      SweepRow row{pt.assignments, pol, evaluate_uncertainty(pt.params, pt.settings, pol, acts[k])};
      std::string where;
      for (const auto& [k, v] : pt.assignments) where += fmt::format("{}={} ", k, v);
      const std::string line =
          fmt::format("[{}/{}] {}policy={}: delay {:.3f} ms, accuracy {:.2f} %, offload {:.3f}", rows.size() + 1,
                      total, where, pol, row.report.value("delay_ms"), row.report.value("accuracy_pct"),
                      row.report.value("offload_fraction"));
      rows.push_back(std::move(row));
      if (progress) {
        progress->note(line);
        progress->set(static_cast<double>(rows.size()));
      } else {
        log << line << "\n";
      }
    }
  }
  write_csv(req.out_csv, rows);
  return rows;
}

}  // namespace mecrl::uncertainty
