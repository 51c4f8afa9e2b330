// main() of the benchmark binaries: Google Benchmark's own, plus the
// progress line of long commands (core/progress.h) between the results on a
// terminal: benchmarks done, rate and time left. The matching benchmarks
// are counted first by a listing pass (--benchmark_list_tests, output
// swallowed).
// Machine output (--benchmark_format=json|csv) or a non-terminal stdout
// gets Google Benchmark's output unchanged.
#include <benchmark/benchmark.h>

#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "bench_main.h"
#include "core/progress.h"

void (*mecrl::bench::run_if_helper)() = nullptr;

namespace {

// Forwards everything to the display reporter the flags chose; erases the
// progress line before each result is printed and redraws it after.
class ProgressReporter : public benchmark::BenchmarkReporter {
 public:
  ProgressReporter(benchmark::BenchmarkReporter* inner, mecrl::ProgressLine* progress)
      : inner_(inner), progress_(progress) {}
  bool ReportContext(const Context& c) override {
    progress_->clear();
    const bool ok = inner_->ReportContext(c);
    inner_->GetOutputStream().flush();
    progress_->advance(0);
    return ok;
  }
  void ReportRuns(const std::vector<Run>& runs) override {
    progress_->clear();
    inner_->ReportRuns(runs);
    inner_->GetOutputStream().flush();
    progress_->advance();
  }
  void Finalize() override {
    progress_->clear();
    inner_->Finalize();
  }

 private:
  benchmark::BenchmarkReporter* inner_;
  mecrl::ProgressLine* progress_;
};

// Swallows what --benchmark_list_tests prints (the names, or a no-match
// message the real run will print again).
class ListReporter : public benchmark::BenchmarkReporter {
 public:
  ListReporter() {
    SetOutputStream(&text_);
    SetErrorStream(&text_);
  }
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>&) override {}

 private:
  std::ostringstream text_;
};

bool machine_format(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    if (std::strncmp(a, "--benchmark_format=", 19) == 0 && std::strcmp(a + 19, "console") != 0) return true;
    if (std::strncmp(a, "--benchmark_list_tests", 22) == 0) return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (mecrl::bench::run_if_helper) mecrl::bench::run_if_helper();
  std::FILE* tty = mecrl::ProgressLine::terminal(machine_format(argc, argv));
  std::vector<std::string> args(argv, argv + argc);
  double total = 0;
  if (tty) {  // listing pass: same filter, names into a string
    std::vector<std::string> list = args;
    list.push_back("--benchmark_list_tests=true");
    std::vector<char*> lv;
    for (auto& a : list) lv.push_back(a.data());
    int lc = static_cast<int>(lv.size());
    benchmark::Initialize(&lc, lv.data());
    ListReporter quiet;
    total = static_cast<double>(benchmark::RunSpecifiedBenchmarks(&quiet));  // the number matching
    args.insert(args.begin() + 1, "--benchmark_list_tests=false");  // flags persist: reset it (later flags win)
  }
  std::vector<char*> av;
  for (auto& a : args) av.push_back(a.data());
  int ac = static_cast<int>(av.size());
  benchmark::Initialize(&ac, av.data());
  if (benchmark::ReportUnrecognizedArguments(ac, av.data())) return 1;
  if (!tty) {
    benchmark::RunSpecifiedBenchmarks();
  } else {
    mecrl::ProgressLine progress(std::string("bench ") + (std::strrchr(argv[0], '/') ? std::strrchr(argv[0], '/') + 1
                                                                                      : argv[0]),
                                 total, "benchmarks", tty);
    benchmark::BenchmarkReporter* display = benchmark::CreateDefaultDisplayReporter();
    ProgressReporter reporter(display, &progress);
    benchmark::RunSpecifiedBenchmarks(&reporter);
    progress.finish();
    delete display;
  }
  benchmark::Shutdown();
  return 0;
}
