// Issue 14, "nothing silent", the cases a hostile user found in configs and
// on the command line (the checkpoint and training cases are in
// tests/agents/test_nothing_silent.cpp). One row per case: the command exits
// with the documented status, its first stderr line names the file (or the
// command line) and the key, and the case's directory (config files, runs/)
// is byte-identical afterwards.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "dir_snapshot.h"
#include "run_command.h"
#include "temp_dir.h"

namespace mecrl {
namespace {

namespace fs = std::filesystem;

const std::string kSrc = MECRL_SOURCE_DIR;

struct Row {
  const char* name;
  const char* command;              // eval | train | config
  std::string file_text;            // the case's config.yaml ("" = configs/offload.yaml itself)
  std::vector<std::string> extra;   // arguments after the config ({D} = the case directory)
  std::string first_line;           // expected first stderr line; {F} = config path, {D} = case directory
  int status = 2;
  std::string config_path = "";     // --config given as is ({D} expanded) instead of a file
};

std::string expand(std::string s, const fs::path& dir, const std::string& file) {
  for (const auto& [tag, value] : {std::pair<std::string, std::string>{"{F}", file}, {"{D}", dir.string()}}) {
    for (size_t at; (at = s.find(tag)) != std::string::npos;) s.replace(at, tag.size(), value);
  }
  return s;
}

class NothingSilent : public ::testing::TestWithParam<Row> {};

TEST_P(NothingSilent, OneLineDocumentedStatusNothingTouched) {
  const Row& row = GetParam();
  const fs::path dir = testing::fresh_scratch_dir(std::string("nothing_silent/") + row.name);
  fs::create_directories(dir / "runs");
  fs::create_directories(dir / "a_directory");
  std::string config = kSrc + "/configs/offload.yaml";
  if (!row.file_text.empty()) {
    config = (dir / "config.yaml").string();
    std::ofstream(config) << expand(row.file_text, dir, config);
  }
  if (!row.config_path.empty()) config = expand(row.config_path, dir, config);
  std::vector<std::string> args = {MECRL_BINARY, row.command, "--config", config};
  if (std::string(row.command) == "eval") args.insert(args.end(), {"--policy", "local"});
  if (std::string(row.command) == "train") args.push_back("train.runs_dir=" + (dir / "runs").string());
  for (const auto& a : row.extra) args.push_back(expand(a, dir, config));
  const testing::DirSnapshot before = testing::snapshot(dir);
  const auto r = testing::run_command(args);
  EXPECT_EQ(r.status, row.status) << r.err;
  EXPECT_EQ(testing::first_line(r.err), expand(row.first_line, dir, config)) << r.err;
  EXPECT_EQ(r.out, "");
  const testing::DirSnapshot after = testing::snapshot(dir);
  EXPECT_TRUE(before == after) << "changed:" << testing::snapshot_diff(before, after);
}

// A config with 200k keys (3.6 MB): loaded in well under a second, where the
// loader used to rebuild a YAML node per key (5k keys 8 s, 20k keys 191 s).
// Speed itself is measured in bench/bm_config.cpp.
std::string many_keys() {
  std::string text = "base: [" + kSrc + "/configs/offload.yaml]\nextra:\n";
  for (int k = 0; k < 200000; ++k) text += "  key_" + std::to_string(k) + ": " + std::to_string(k) + ".5\n";
  return text;
}

// "Billion laughs": 9 levels of 10 aliases would be 10^9 keys.
std::string laughs() {
  std::string text = "base: [" + kSrc + "/configs/offload.yaml]\nl0: &l0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9, j: 10}\n";
  for (int k = 1; k < 10; ++k) {
    text += "l" + std::to_string(k) + ": &l" + std::to_string(k) + " {";
    for (int j = 0; j < 10; ++j) text += std::string(j ? ", " : "") + "k" + std::to_string(j) + ": *l" + std::to_string(k - 1);
    text += "}\n";
  }
  return text;
}

const std::string kOffload = "base: [" + kSrc + "/configs/offload.yaml]\n";
const std::string kOffloadPpo = "base: [" + kSrc + "/configs/offload_ppo.yaml]\n";

INSTANTIATE_TEST_SUITE_P(
    Issue14, NothingSilent,
    ::testing::Values(
        // 1. NaN and values single precision cannot hold
        Row{"nan_in_lagrangian_lr_list", "train", kOffloadPpo + "lagrangian:\n  lr: [nan, 0.1, 0.1]\n", {},
            "mecrl: error: {F}:3: lagrangian.lr = 'nan,0.1,0.1' has 'nan', not a finite number (allowed: number or "
            "list of numbers in [0, 100]; dual ascent step on the relative violation, one per cost or one for all)"},
        Row{"nan_in_lambda_init", "train", kOffloadPpo + "lagrangian:\n  lambda_init: [nan]\n", {},
            "mecrl: error: {F}:3: lagrangian.lambda_init = 'nan' has 'nan', not a finite number (allowed: number or "
            "list of numbers in [0, 1e+06]; initial multipliers, one per cost)"},
        Row{"nan_override", "train", "", {"lagrangian.lr=nan"},
            "mecrl: error: command line 'lagrangian.lr=nan': lagrangian.lr = 'nan' has 'nan', not a finite number "
            "(allowed: number or list of numbers in [0, 100]; dual ascent step on the relative violation, one per "
            "cost or one for all)"},
        Row{"inf_override", "train", "", {"ppo.lr=inf"},
            "mecrl: error: command line 'ppo.lr=inf': ppo.lr = 'inf' is not a finite number (allowed: (0, 1]; Adam "
            "learning rate)"},
        Row{"adam_eps_underflows_float", "train", "", {"ppo.adam_eps=1e-300"},
            "mecrl: error: command line 'ppo.adam_eps=1e-300': ppo.adam_eps = '1e-300' is below the smallest "
            "single-precision magnitude 1.17549e-38 (it would become 0) (Adam epsilon)"},
        Row{"dt_underflows_float", "eval", "", {"env.dt_s=1e-300"},
            "mecrl: error: command line 'env.dt_s=1e-300': env.dt_s = '1e-300' is below the smallest "
            "single-precision magnitude 1.17549e-38 (it would become 0) (slot length, s)"},
        // 2. errors that used to escape as exit 1 without a file
        Row{"base_is_a_directory", "eval", "base: [a_directory]\n", {},
            "mecrl: error: {F}:1: base file {D}/a_directory: cannot open config file (Is a directory)"},
        Row{"base_is_a_map", "eval", "base: {a: 1}\n", {},
            "mecrl: error: {F}:1: base must be a file name or a list of file names"},
        Row{"base_is_a_list_of_lists", "eval", "base: [[offload.yaml]]\n", {},
            "mecrl: error: {F}:1: base must be a file name or a list of file names"},
        Row{"list_as_key", "eval", kOffload + "env:\n  [a, b]: 1\n", {},
            "mecrl: error: {F}:3: a key must be a plain name, not a list"},
        Row{"config_is_a_directory", "eval", "", {},
            "mecrl: error: {D}/a_directory: cannot open config file (Is a directory)", 2, "{D}/a_directory"},
        // 3. a large config loads in linear time
        Row{"two_hundred_thousand_keys", "eval", many_keys(), {},
            "mecrl: error: {F}:3: unknown key 'extra.key_0'"},
        // 4. silent acceptance
        Row{"duplicate_key", "eval", kOffload + "env:\n  num_users: 5\n  num_users: 6\n", {},
            "mecrl: error: {F}:4: env.num_users is set twice in this file (first at {F}:3; a dotted and a nested "
            "spelling name the same key)"},
        Row{"dotted_and_nested_spelling", "eval", kOffload + "env:\n  num_users: 5\nenv.num_users: 6\n", {},
            "mecrl: error: {F}:4: env.num_users is set twice in this file (first at {F}:3; a dotted and a nested "
            "spelling name the same key)"},
        Row{"second_yaml_document", "eval", kOffload + "env:\n  num_users: 5\n---\nenv:\n  num_users: 6\n", {},
            "mecrl: error: {F}:4: a second YAML document ('---'); a config file holds one mapping"},
        Row{"train_checks_eval_keys", "train", kOffloadPpo + "eval:\n  episodez: 5\n", {},
            "mecrl: error: {F}:3: unknown key 'eval.episodez'; did you mean 'eval.episodes'?"},
        Row{"eval_checks_train_keys", "eval", kOffloadPpo + "train:\n  total_stepz: 5\n", {},
            "mecrl: error: {F}:3: unknown key 'train.total_stepz'; did you mean 'train.total_steps'?"},
        Row{"episodes_zero", "eval", "", {"--episodes", "0"},
            "mecrl: error: --episodes 0: eval.episodes = '0' is outside [1, 1048576] (episodes, run as one batch of "
            "envs)"},
        Row{"episodes_negative", "eval", "", {"--episodes=-1"},
            "mecrl: error: --episodes -1: eval.episodes = '-1' is outside [1, 1048576] (episodes, run as one batch "
            "of envs)"},
        Row{"episodes_past_the_range", "eval", "", {"--episodes", "2000000000"},
            "mecrl: error: --episodes 2000000000: eval.episodes = '2000000000' is outside [1, 1048576] (episodes, "
            "run as one batch of envs)"},
        Row{"empty_runs_dir", "train", "", {"train.runs_dir="},
            "mecrl: error: command line 'train.runs_dir=': train.runs_dir is empty (where run directories are "
            "created; '.' for the current directory)"},
        Row{"run_name_with_a_path", "train", "", {"train.name=../escape"},
            "mecrl: error: command line 'train.name=../escape': train.name = '../escape' must be a plain name (no "
            "'/', not starting with '.')"},
        // an unknown key comes before any other error, even one earlier in the file
        Row{"unknown_key_before_anything_else", "eval", kOffload + "env:\n  num_users: 5000\n  num_userz: 5\n", {},
            "mecrl: error: {F}:4: unknown key 'env.num_userz'; did you mean 'env.num_users'?"},
        Row{"unknown_key_before_a_cross_check", "train", kOffloadPpo + "wm:\n  enabled: true\n  windw: 8\n",
            {"train.rollout_steps=4"},
            "mecrl: error: {F}:4: unknown key 'wm.windw'; did you mean 'wm.window'?"},
        Row{"mve_cells_below_imagine_cells", "train", "", {"wm.mve_cells=8", "wm.imagine_cells=16"},
            "mecrl: error: command line 'wm.mve_cells=8': wm.mve_cells = 8 is below wm.imagine_cells = 16 (the "
            "imagined cells are expanded cells; 0 expands every cell)"},
        Row{"billion_laughs", "eval", laughs(), {},
            "mecrl: error: {F}:6: aliases expand to more than 16 keys per byte of the file (a 'billion laughs' "
            "document?)"},
        Row{"alias_to_nothing", "eval", kOffload + "env:\n  num_users: *n\n", {},
            "mecrl: error: {F}:3: alias '*n' refers to no anchor defined before it"}),
    [](const ::testing::TestParamInfo<Row>& info) { return std::string(info.param.name); });

// A config that names only what it changes: the scenario's preset
// (configs/<scenario>.yaml, with its tables) comes underneath, as Hydra's
// defaults do.
TEST(ConfigPreset, AFileWithoutBaseGetsTheScenarioDefaults) {
  const fs::path dir = testing::fresh_scratch_dir("nothing_silent/preset");
  const std::string config = (dir / "mine.yaml").string();
  std::ofstream(config) << "env:\n  num_users: 7\n";
  const auto r = testing::run_command({MECRL_BINARY, "config", "--config", config});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("env.num_users"), std::string::npos);
  // Each value says where it came from: the user's file, or the preset.
  auto line_of = [&](const std::string& key) {
    const size_t at = r.out.find("\n" + key + " ");
    return at == std::string::npos ? std::string() : testing::first_line(r.out.substr(at + 1));
  };
  EXPECT_NE(line_of("env.num_users").find("[" + config + ":2]"), std::string::npos) << line_of("env.num_users");
  EXPECT_NE(line_of("env.dt_s").find("configs/offload.yaml:"), std::string::npos) << line_of("env.dt_s");
  EXPECT_NE(line_of("tables.gpus.L4.hbm_gb").find("configs/tables/gpus.yaml:"), std::string::npos);
  const auto ev = testing::run_command({MECRL_BINARY, "eval", "--config", config, "--policy", "local",
                                        "--episodes", "2", "eval.slots=100", "eval.warmup_slots=10", "--json"});
  EXPECT_EQ(ev.status, 0) << ev.err;
  // Another scenario's preset, chosen by env.scenario.
  std::ofstream(config) << "env:\n  scenario: cartpole\n  max_episode_steps: 50\n";
  const auto cp = testing::run_command({MECRL_BINARY, "eval", "--config", config, "--policy", "left",
                                        "--episodes", "2", "--json"});
  EXPECT_EQ(cp.status, 0) << cp.err;
}

}  // namespace
}  // namespace mecrl
