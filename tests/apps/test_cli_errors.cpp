// Bad input, as a user would type it: each malformed config or argument
// produces exactly one line naming the file (or the command line), the key,
// the value and the allowed range, exit status 2, and nothing on stdout.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "run_command.h"
#include "core/remove_tree.h"

namespace mecrl {
namespace {

namespace fs = std::filesystem;

struct BadCase {
  const char* name;
  const char* file_text;  // nullptr: use configs/offload.yaml
  std::vector<std::string> extra;
  std::string expected;   // "{F}" is replaced by the config path
};

class CliErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(CliErrors, OneLineExitTwo) {
  const BadCase& c = GetParam();
  const fs::path dir = fs::temp_directory_path() / ("mecrl_cli_" + std::string(c.name));
  fs::create_directories(dir);
  std::string path = MECRL_SOURCE_DIR "/configs/offload.yaml";
  if (c.file_text) {
    path = (dir / "bad.yaml").string();
    std::ofstream(path) << "base: [" MECRL_SOURCE_DIR "/configs/offload.yaml]\n" << c.file_text;
  }
  if (std::string(c.name) == "missing_file") path = (dir / "none.yaml").string();
  if (std::string(c.name) == "not_a_mapping" || std::string(c.name) == "yaml_syntax") {
    std::ofstream(path) << c.file_text;  // without the base line
  }
  std::vector<std::string> args = {MECRL_BINARY, "eval", "--config", path, "--episodes", "2"};
  if (std::find(c.extra.begin(), c.extra.end(), "--policy") == c.extra.end()) {
    args.insert(args.end(), {"--policy", "local"});
  }
  args.insert(args.end(), c.extra.begin(), c.extra.end());
  const auto r = testing::run_command(args);
  std::string expected = c.expected;
  if (const auto pos = expected.find("{F}"); pos != std::string::npos) expected.replace(pos, 3, path);
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "mecrl: error: " + expected + "\n");
  EXPECT_EQ(r.out, "");
  mecrl::remove_tree(dir);
}

const std::string kCfg = MECRL_SOURCE_DIR "/configs/offload.yaml";
const std::string kDevices = MECRL_SOURCE_DIR "/configs/tables/devices.yaml";

INSTANTIATE_TEST_SUITE_P(
    Table, CliErrors,
    ::testing::Values(
        BadCase{"missing_file", nullptr, {}, "{F}: cannot open config file (No such file or directory)"},
        BadCase{"yaml_syntax", "env:\n  num_users: [1, 2\n", {},
                "{F}:3:1: YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence at line 2)"},
        BadCase{"not_a_mapping", "- a\n- b\n", {}, "{F}:1: a config file must be a mapping of keys"},
        BadCase{"unknown_key", "env:\n  num_user: 50\n", {},
                "{F}:3: unknown key 'env.num_user'; did you mean 'env.num_users'?"},
        BadCase{"wrong_type", "env:\n  num_users: abc\n", {},
                "{F}:3: env.num_users = 'abc' is not an integer (allowed: integer in [1, 1024]; users per cell N)"},
        BadCase{"out_of_range", "env:\n  num_users: 5000\n", {},
                "{F}:3: env.num_users = '5000' is outside [1, 1024] (users per cell N)"},
        BadCase{"float_range", "env:\n  constraints:\n    acc_min: 1.5\n", {},
                "{F}:4: env.constraints.acc_min = '1.5' is outside [0, 1] (required long-run accuracy A_min)"},
        BadCase{"zero_slot", nullptr, {"env.dt_s=0"},
                "command line 'env.dt_s=0': env.dt_s = '0' is outside (0, 10] (slot length, s)"},
        BadCase{"override_range", nullptr, {"env.num_users=0"},
                "command line 'env.num_users=0': env.num_users = '0' is outside [1, 1024] (users per cell N)"},
        BadCase{"override_no_equals", nullptr, {"env.num_users"},
                "command line 'env.num_users': expected key=value (e.g. env.num_users=50)"},
        BadCase{"override_unknown", nullptr, {"env.num_userz=3"},
                "command line 'env.num_userz=3': unknown key 'env.num_userz'; did you mean 'env.num_users'?"},
        BadCase{"unknown_row", nullptr, {"env.server.model=llama9"},
                "command line 'env.server.model=llama9': env.server.model = 'llama9' is not a row of tables.models "
                "(rows: llama31_8b_bf16, llama31_8b_q4, llama31_8b_q3, llama31_8b_pruned4, llama31_minitron_4b, "
                "llama31_8b_ecld, qwen3_8b_bf16, qwen3_8b_ecld, mistral_nemo_12b_bf16, mistral_nemo_12b_ecld)"},
        BadCase{"shares", nullptr, {"tables.devices.apple_a16.share=0.5"},
                kDevices + ":7: tables.devices.*.share sum to 1.25 (snapdragon_865 0.35, snapdragon_8gen2 0.4, "
                           "apple_a16 0.5), must sum to 1"},
        BadCase{"model_too_big", nullptr, {"env.server.model=mistral_nemo_12b_bf16"},
                "command line 'env.server.model=mistral_nemo_12b_bf16': env.server.model = 'mistral_nemo_12b_bf16' "
                "(24.5 GB of weights) leaves no KV memory on GPU 'L4' (24 GB HBM, 2 GB headroom); hint: pick a "
                "larger GPU or a compact variant"},
        BadCase{"gpu_list", nullptr, {"env.server.gpu=[L4, A100_80GB]"},
                "command line 'env.server.gpu=[L4, A100_80GB]': env.server.gpu lists 2 GPUs for env.num_servers = 1 "
                "(give one, or one per server)"},
        BadCase{"warmup", nullptr, {"eval.warmup_slots=3000"},
                "command line 'eval.warmup_slots=3000': eval.warmup_slots = 3000 must be below eval.slots = 2400"},
        BadCase{"bad_table_value", nullptr, {"tables.gpus.L4.bw_tbps=-1"},
                "command line 'tables.gpus.L4.bw_tbps=-1': tables.gpus.L4.bw_tbps = '-1' is outside (0, 100] "
                "(memory bandwidth BW, TB/s)"},
        BadCase{"bad_policy", nullptr, {"--policy", "lcal"},
                "--policy 'lcal' is not a baseline (local, offload, random, complexity, greedy, goa), a "
                "checkpoint directory or an exported policy bundle"}),
    [](const ::testing::TestParamInfo<BadCase>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace mecrl
