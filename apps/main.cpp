// ./mecrl — one command line for evaluating, training, benchmarking and
// exporting. Reading order for a newcomer: README.md "Code walkthrough".
//   provides: eval     apps/cmd_eval.cpp    (baselines and trained policies, spec §8 metrics)
//             train    apps/cmd_train.cpp   (PPO, PPO-Lagrangian, world-model PPO into runs/<name>/)
//             config   apps/cmd_config.cpp  (every key, its value, range and origin)
//             sweep    apps/cmd_sweep.cpp   (baselines over a grid of config values, CSV)
//             bench    apps/cmd_bench.cpp   (Google Benchmark suites in bench/)
//             catalogue apps/cmd_catalogue.cpp (the four metrics of every model variant in the tables)
//             report, test: run by the ./mecrl launcher (scripts/report/, ctest)
//             export   apps/cmd_export.cpp  (a checkpoint's actor as an ONNX + safetensors bundle)
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <iostream>
#include <new>

#include "apps/commands.h"
#include "core/error.h"

namespace {

void add_common(CLI::App* cmd, mecrl::app::CommonArgs& a) {
  cmd->add_option("-c,--config", a.config, "YAML config file (configs/*.yaml)")->required();
  cmd->add_option("overrides", a.overrides, "config overrides key=value (e.g. env.num_users=50 seed=3)");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mecrl — RL for LLM inference offloading in mobile edge computing"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "mecrl 0.1.0");

  mecrl::app::EvalArgs eval;
  auto* c_eval = app.add_subcommand("eval", "evaluate a policy and print the metrics of spec §8");
  add_common(c_eval, eval);
  c_eval->add_option("-p,--policy", eval.policy,
                     "baseline name (offload: local, offload, random, complexity, greedy, goa; "
                     "uncertainty: local, edge, goa, dmin, random), a checkpoint or an exported bundle")
      ->required();
  c_eval->add_option("-e,--episodes", eval.episodes, "episodes (envs in one batch): sets eval.episodes");
  c_eval->add_flag("--json", eval.json, "print one JSON object instead of the table");
  c_eval->add_option("--label", eval.label, "name of the policy in the output (default: the --policy text)");
  c_eval->add_option("--samples", eval.samples,
                     "also write the per-item values as CSV (offload: latency_s, ttft_s of every completion; "
                     "uncertainty: delay_ms of every user; cartpole: episodic_return, episodic_length)");

  mecrl::app::SweepArgs sweep;
  auto* c_sweep = app.add_subcommand(
      "sweep", "evaluate baselines over a grid of config values (uncertainty scenario), one CSV row per point");
  add_common(c_sweep, sweep);
  c_sweep->add_option("--policies", sweep.policies, "comma list of baselines (goa,dmin,random,local,edge)")
      ->required()
      ->delimiter(',')
      ->allow_extra_args(false);
  c_sweep->add_option("--set", sweep.sets, "KEY=V1,V2,... one grid axis (repeatable; grid = Cartesian product)")
      ->allow_extra_args(false);
  c_sweep->add_option("-o,--out", sweep.out, "CSV file to write (atomically)")->required();
  c_sweep->add_option("-e,--episodes", sweep.episodes, "snapshots per point: sets eval.episodes");

  mecrl::app::TrainArgs train;
  auto* c_train = app.add_subcommand("train", "train a policy (resume=runs/<dir> to continue a run)");
  add_common(c_train, train);
  c_train->add_option("--nproc", train.nproc,
                      "data-parallel: start N local ranks of this run (torchrun and srun launches need no flag)")
      ->check(CLI::Range(1, 1024));

  mecrl::app::CommonArgs cfg;
  bool as_yaml = false;
  auto* c_cfg = app.add_subcommand("config", "print every config key with its value, range and origin");
  add_common(c_cfg, cfg);
  c_cfg->add_flag("--yaml", as_yaml, "print the resolved config as YAML");

  mecrl::app::CommonArgs cat;
  auto* c_cat = app.add_subcommand(
      "catalogue", "accessibility, energy per query, hallucination and accuracy of every model in the tables");
  add_common(c_cat, cat);
  c_cat->add_flag("--json", cat.json, "print one JSON object (what scripts/report reads)");

  mecrl::app::ExportArgs exp;
  auto* c_export = app.add_subcommand(
      "export", "write a checkpoint's actor as a deployment bundle (policy.onnx, policy.safetensors, policy.json)");
  c_export->add_option("-p,--policy", exp.policy, "checkpoint directory (runs/<dir>/checkpoints/last)")->required();
  c_export->add_option("-o,--out", exp.out, "bundle directory to write (an existing bundle is replaced)")->required();
  c_export->add_option("-c,--config", exp.config, "the run's config.yaml (default: <policy>/../../config.yaml)");

  std::vector<std::string> bench_args;
  auto* c_bench = app.add_subcommand("bench", "run the Google Benchmark suites (extra flags pass through)");
  c_bench->allow_extras();
  c_bench->prefix_command();

  app.add_subcommand("test", "configure, build and run the test suite (handled by the ./mecrl launcher)");
  app.add_subcommand("report", "figures and tables from runs, studies, sweeps and benchmarks (handled by the "
                               "./mecrl launcher: scripts/report/mecrl_report.py)")
      ->allow_extras()
      ->prefix_command();

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "mecrl: " << e.what() << " (see mecrl --help)\n";
    return 2;
  }

  try {
    if (*c_eval) return mecrl::app::run_eval(eval);
    if (*c_train) return mecrl::app::run_train(train);
    if (*c_cfg) return mecrl::app::run_config(cfg, as_yaml);
    if (*c_sweep) return mecrl::app::run_sweep(sweep);
    if (*c_bench) return mecrl::app::run_bench(c_bench->remaining());
    if (*c_cat) return mecrl::app::run_catalogue(cat);
    if (*c_export) return mecrl::app::run_export(exp);
    std::cerr << "mecrl: `test` and `report` are run by the ./mecrl launcher in the repository root\n";
    return 2;
  } catch (const mecrl::UsageError& e) {
    std::cerr << "mecrl: error: " << e.what() << "\n";
    return mecrl::kExitUsage;
  } catch (const mecrl::IoError& e) {
    std::cerr << "mecrl: I/O error: " << e.what() << "\n";
    return mecrl::kExitIoError;
  } catch (const std::filesystem::filesystem_error& e) {
    std::cerr << "mecrl: I/O error: " << e.what() << "\n";
    return mecrl::kExitIoError;
  } catch (const std::bad_alloc&) {
    std::cerr << "mecrl: out of memory (try fewer envs, users or episodes)\n";
    return mecrl::kExitNoMemory;
  } catch (const std::exception& e) {
    std::cerr << "mecrl: fatal: " << e.what() << "\n";
    return 1;
  }
}
