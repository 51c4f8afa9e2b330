// Issue 14, "nothing silent": the checkpoint, run-directory and training
// cases (the config and command-line ones are in tests/apps/). One tiny
// CartPole run is trained once per test binary; each row copies it, breaks
// it in one way (forging the manifest's CRC where the case needs it), runs
// `eval` or `train resume=` on it, and checks the exit status, the first
// stderr line (file and field named) and that the run directory is
// byte-identical afterwards.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "agents/checkpoint.h"
#include "core/atomic_file.h"
#include "core/crc32c.h"
#include "core/dir_lock.h"
#include "core/error.h"
#include "core/safetensors.h"
#include "core/tfevents.h"
#include "dir_snapshot.h"
#include "run_command.h"
#include "temp_dir.h"
#include "tfevents_reader.h"
#include "core/remove_tree.h"

namespace mecrl {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kCartPolePpo = MECRL_SOURCE_DIR "/configs/cartpole_ppo.yaml";
const std::string kCartPole = MECRL_SOURCE_DIR "/configs/cartpole.yaml";

// The runs_dir every run of this file names (config.yaml records it, and a
// resume must give the same config), wherever its copies live.
fs::path runs_root() { return testing::scratch_root() / "nothing_silent_runs"; }

std::vector<std::string> train_args(const std::vector<std::string>& extra = {}) {
  std::vector<std::string> a = {MECRL_BINARY, "train", "--config", kCartPolePpo, "train.total_steps=2048",
                                "train.checkpoint_every=1", "train.runs_dir=" + runs_root().string(),
                                "train.name=tiny", "threads=1"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

// 4 iterations of 4 envs x 128 steps, stopped by a (tiny) time limit after
// the 1st and, resumed, after the 2nd: a checkpoint at iteration 2, step
// 1024, that a resume can continue.
const fs::path& trained_run() {
  static const fs::path run = [] {
    mecrl::remove_tree(runs_root());
    const auto first = testing::run_command(train_args({"train.time_limit_s=0.001"}));
    if (first.status != 0) throw std::runtime_error("training the tiny run failed: " + first.err);
    std::vector<fs::path> dirs;
    for (const auto& e : fs::directory_iterator(runs_root())) dirs.push_back(e.path());
    if (dirs.size() != 1) throw std::runtime_error("expected one run directory");
    const auto second = testing::run_command(train_args({"train.time_limit_s=0.001", "resume=" + dirs[0].string()}));
    if (second.status != 0) throw std::runtime_error("resuming the tiny run failed: " + second.err);
    return dirs[0];
  }();
  return run;
}

fs::path copy_of_run(const std::string& name) {
  const fs::path dst = testing::scratch_root() / "nothing_silent_rows" / name;
  mecrl::remove_tree(dst);
  fs::create_directories(dst.parent_path());
  fs::copy(trained_run(), dst, fs::copy_options::recursive);
  return dst;
}

fs::path last_of(const fs::path& run) { return run / "checkpoints" / "last"; }

// ---- forging: change a file of the checkpoint and make the manifest agree

json read_json(const fs::path& p) { return json::parse(testing::slurp(p)); }

void write_json(const fs::path& p, const json& j) { std::ofstream(p, std::ios::binary) << j.dump(2); }

void forge_file(const fs::path& run, const std::string& name, const std::string& bytes) {
  std::ofstream(last_of(run) / name, std::ios::binary | std::ios::trunc) << bytes;
  json t = read_json(last_of(run) / "trainer.json");
  t["files"][name] = {{"bytes", bytes.size()}, {"crc32c", crc32c(bytes)}};
  write_json(last_of(run) / "trainer.json", t);
}

void edit_trainer_json(const fs::path& run, const std::function<void(json&)>& edit) {
  json t = read_json(last_of(run) / "trainer.json");
  edit(t);
  write_json(last_of(run) / "trainer.json", t);
}

void edit_tensors(const fs::path& run, const std::string& file, const std::function<void(std::map<std::string, TensorBlob>&)>& edit) {
  auto tensors = decode_safetensors(testing::slurp(last_of(run) / file), file).tensors;
  edit(tensors);
  forge_file(run, file, encode_safetensors(tensors, {}));
}

std::string random_bytes(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

uint64_t first_u64(const std::string& bytes) {
  uint64_t v = 0;
  for (int k = 7; k >= 0; --k) v = (v << 8) | static_cast<unsigned char>(bytes[k]);
  return v;
}

// optimizer.safetensors with one value of the first moment set to NaN.
std::string poisoned_optimizer(const fs::path& run) {
  auto file = decode_safetensors(testing::slurp(last_of(run) / "optimizer.safetensors"), "optimizer.safetensors");
  TensorBlob& m = file.tensors.at("group0.param0.exp_avg");
  const float nan = NAN;
  std::memcpy(m.bytes.data(), &nan, 4);
  return encode_safetensors(file.tensors, {});
}

// ---- the table

struct Row {
  const char* name;
  const char* command;                        // eval | resume
  std::function<void(const fs::path&)> breaks;  // what the row does to its copy of the run
  std::string first_line;                     // {R} = the run directory
  int status = 2;
  bool hold_lock = false;                     // this process holds the run's lock meanwhile
};

std::string expand(std::string s, const fs::path& run) {
  for (size_t at; (at = s.find("{R}")) != std::string::npos;) s.replace(at, 3, run.string());
  return s;
}

class NothingSilentRuns : public ::testing::TestWithParam<Row> {};

TEST_P(NothingSilentRuns, OneLineDocumentedStatusRunUntouched) {
  const Row& row = GetParam();
  const fs::path run = copy_of_run(row.name);
  row.breaks(run);
  std::vector<std::string> args;
  if (std::string(row.command) == "eval") {
    args = {MECRL_BINARY, "eval", "--config", kCartPole, "--policy", last_of(run).string(), "--episodes", "2"};
  } else {
    args = train_args({"resume=" + run.string()});
  }
  const testing::DirSnapshot before = testing::snapshot(run);
  std::optional<DirLock> lock;
  if (row.hold_lock) lock.emplace(run.string());
  const auto r = testing::run_command(args);
  lock.reset();
  EXPECT_EQ(r.status, row.status) << r.err;
  EXPECT_EQ(testing::first_line(r.err), expand(row.first_line, run)) << r.err;
  const testing::DirSnapshot after = testing::snapshot(run);
  EXPECT_TRUE(before == after) << "changed:" << testing::snapshot_diff(before, after);
}

const std::string kLast = "{R}/checkpoints/last";
const std::string kMeta = kLast + "/trainer.json";

void set_nan_weight(const fs::path& run) {
  edit_tensors(run, "model.safetensors", [](auto& t) {
    TensorBlob& w = t.at("policy.actor.0.weight");
    const float nan = NAN;
    std::memcpy(w.bytes.data() + 4 * 5, &nan, 4);
  });
}

INSTANTIATE_TEST_SUITE_P(
    Issue14, NothingSilentRuns,
    ::testing::Values(
        // 1. non-finite weights, CRC recomputed
        Row{"eval_nan_weights", "eval", set_nan_weight,
            "mecrl: error: " + kLast + "/model.safetensors: tensor 'policy.actor.0.weight' holds 1 non-finite values "
            "(NaN or inf): the run had diverged when this checkpoint was written"},
        Row{"resume_nan_weights", "resume", set_nan_weight,
            "mecrl: error: " + kLast + "/model.safetensors: tensor 'policy.actor.0.weight' holds 1 non-finite values "
            "(NaN or inf): the run had diverged when this checkpoint was written"},
        // 2. what used to escape as exit 1
        Row{"manifest_bytes_not_a_number", "eval",
            [](const fs::path& run) { edit_trainer_json(run, [](json& t) { t["files"]["model.safetensors"]["bytes"] = "x"; }); },
            "mecrl: error: " + kMeta + ": manifest entry \"model.safetensors\": \"bytes\" = \"x\" is not an unsigned "
            "integer"},
        Row{"iteration_not_a_number", "eval",
            [](const fs::path& run) { edit_trainer_json(run, [](json& t) { t["iteration"] = "x"; }); },
            "mecrl: error: " + kMeta + ": field \"iteration\" = \"x\" is not an integer"},
        Row{"env_state_of_the_wrong_size", "resume",
            [](const fs::path& run) { forge_file(run, "env_state.bin", testing::slurp(last_of(run) / "env_state.bin") + "12345678"); },
            "mecrl: error: " + kLast + "/env_state.bin: cartpole state of 4616 bytes, expected 4608 (another scenario, "
            "size or backend layout)"},
        Row{"bf16_tensor", "eval",
            [](const fs::path& run) {
              edit_tensors(run, "model.safetensors", [](auto& t) {
                TensorBlob& w = t.at("policy.actor.0.weight");
                w.dtype = "BF16";
                w.bytes.resize(w.bytes.size() / 2);
              });
            },
            "mecrl: error: " + kLast + "/model.safetensors: tensor 'policy.actor.0.weight' has dtype BF16; checkpoints "
            "hold F32, F64, I64, I32 or U8"},
        Row{"last_is_a_symlink_loop", "eval",
            [](const fs::path& run) {
              mecrl::remove_tree(last_of(run));
              fs::create_symlink("last", last_of(run));
            },
            "mecrl: error: " + kLast + ": not a checkpoint directory (Too many levels of symbolic links)"},
        Row{"resume_last_is_a_symlink_loop", "resume",
            [](const fs::path& run) {
              mecrl::remove_tree(last_of(run));
              fs::create_symlink("last", last_of(run));
            },
            "mecrl: error: " + kLast + ": not a checkpoint directory (Too many levels of symbolic links)"},
        Row{"policy_spec_hidden_negative", "eval",
            [](const fs::path& run) { edit_trainer_json(run, [](json& t) { t["policy_spec"]["hidden"] = -1; }); },
            "mecrl: error: " + kMeta + ": policy_spec.hidden = -1 is outside [4, 4096]"},
        // 4. a manifest entry outside the checkpoint directory
        Row{"manifest_entry_outside", "eval",
            [](const fs::path& run) {
              edit_trainer_json(run, [](json& t) { t["files"]["../../config.yaml"] = {{"bytes", 1}, {"crc32c", 0}}; });
            },
            "mecrl: error: " + kMeta + ": manifest entry \"../../config.yaml\" is not a checkpoint file "
            "(model.safetensors, extra.safetensors, env_state.bin, optimizer.safetensors, wm_optimizer.safetensors)"},
        Row{"manifest_file_is_a_link_outside", "eval",
            [](const fs::path& run) {
              const fs::path outside = run / "model_copy";
              fs::copy_file(last_of(run) / "model.safetensors", outside);
              fs::remove(last_of(run) / "model.safetensors");
              fs::create_symlink(outside, last_of(run) / "model.safetensors");
            },
            "mecrl: error: " + kLast + "/model.safetensors: not a regular file (a checkpoint holds its own files, no "
            "links)"},
        // 5. a run another process holds
        Row{"resume_a_locked_run", "resume", [](const fs::path&) {},
            "mecrl: error: {R}: another mecrl process is training in this run directory (it holds {R}/.lock)", 2,
            /*hold_lock=*/true},
        // 7. forged content with a matching CRC
        Row{"garbage_optimizer_state", "resume",
            [](const fs::path& run) { forge_file(run, "optimizer.safetensors", random_bytes(4096, 7)); },
            // the safetensors spec: the first 8 bytes are the header's length (little-endian u64)
            "mecrl: error: safetensors file '" + kLast + "/optimizer.safetensors': header length " +
                std::to_string(first_u64(random_bytes(4096, 7))) + " exceeds the 100000000-byte limit"},
        Row{"nan_optimizer_state", "resume",
            [](const fs::path& run) { forge_file(run, "optimizer.safetensors", poisoned_optimizer(run)); },
            "mecrl: error: " + kLast + "/optimizer.safetensors: tensor 'group0.param0.exp_avg' holds 1 non-finite "
            "values (NaN or inf): the run had diverged when this checkpoint was written"},
        Row{"optimizer_state_of_another_shape", "resume",
            [](const fs::path& run) {
              auto file = decode_safetensors(testing::slurp(last_of(run) / "optimizer.safetensors"), "opt");
              TensorBlob& m = file.tensors.at("group0.param0.exp_avg_sq");
              m.shape = {static_cast<int64_t>(m.bytes.size() / 4)};
              forge_file(run, "optimizer.safetensors", encode_safetensors(file.tensors, {}));
            },
            // param0 = the actor's first weight: hidden 64 x CartPole's 4 features
            "mecrl: error: " + kLast + "/optimizer.safetensors: tensor 'group0.param0.exp_avg_sq' is F32 [256], "
            "expected F32 [64, 4] (does it belong to this model?)"},
        Row{"negative_iteration", "resume",
            [](const fs::path& run) { edit_trainer_json(run, [](json& t) { t["iteration"] = -3; }); },
            "mecrl: error: " + kMeta + ": field \"iteration\" = -3 is outside [0, 4]"},
        Row{"iteration_past_the_end", "resume",
            [](const fs::path& run) { edit_trainer_json(run, [](json& t) { t["iteration"] = 5; }); },
            "mecrl: error: " + kMeta + ": field \"iteration\" = 5 is outside [0, 4]"},
        Row{"global_step_not_whole_iterations", "resume",
            [](const fs::path& run) { edit_trainer_json(run, [](json& t) { t["global_step"] = 1001; }); },
            "mecrl: error: " + kMeta + ": global_step = 1001 is not a whole number of iterations of equal size "
            "(iteration = 2)"},
        Row{"env_state_of_random_bytes", "resume",
            [](const fs::path& run) {
              forge_file(run, "env_state.bin", random_bytes(fs::file_size(last_of(run) / "env_state.bin"), 11));
            },
            "mecrl: error: " + kLast + "/env_state.bin: not a state the cartpole dynamics can reach: env 0, x = "
            "2.33163612e+58 (|x| <= x_threshold)"},
        Row{"episode_steps_of_the_wrong_shape", "resume",
            [](const fs::path& run) {
              edit_tensors(run, "extra.safetensors", [](auto& t) {
                const int64_t one = 1;
                t["trainer.ep_step"] = make_i64({1}, &one);
              });
            },
            "mecrl: error: " + kLast + "/extra.safetensors: tensor 'trainer.ep_step' is I64 [1], expected I64 [4] "
            "(num_envs)"}),
    [](const ::testing::TestParamInfo<Row>& info) { return std::string(info.param.name); });

// ---- the cases that must succeed, and leave the run clean

std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<double> csv_column(const fs::path& csv, const std::string& name) {
  std::istringstream in(testing::slurp(csv));
  std::string line;
  std::getline(in, line);
  std::vector<std::string> head;
  std::istringstream hs(line);
  for (std::string c; std::getline(hs, c, ',');) head.push_back(c);
  const size_t col = static_cast<size_t>(std::find(head.begin(), head.end(), name) - head.begin());
  std::vector<double> out;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string cell;
    for (size_t k = 0; k <= col; ++k) std::getline(ls, cell, ',');
    out.push_back(std::stod(cell));
  }
  return out;
}

// tag -> steps, over every event file of the run (TensorBoard merges them).
std::map<std::string, std::vector<int64_t>> event_steps(const fs::path& run) {
  std::map<std::string, std::vector<int64_t>> out;
  for (const auto& e : fs::directory_iterator(run)) {
    if (e.path().filename().string().rfind("events.out.tfevents.", 0) != 0) continue;
    const auto records = testing::tfevents::read_records(testing::slurp(e.path()));
    for (size_t k = 1; k < records.size(); ++k) {
      const auto d = testing::tfevents::decode_scalar_event(records[k]);
      out[d.tag].push_back(d.step);
    }
  }
  for (auto& [tag, steps] : out) std::sort(steps.begin(), steps.end());
  return out;
}

// A kill during a save leaves temporary directories (any pid, any name
// scheme mecrl used); the next start removes them, and so does every save.
TEST(NothingSilentRuns, LeftoversOfKilledSavesAreRemoved) {
  const fs::path run = copy_of_run("leftovers");
  for (const char* junk : {".tmp-last-12345", ".last.new.999.0", ".last.old.77.3"}) {
    fs::create_directories(run / "checkpoints" / junk);
    std::ofstream(run / "checkpoints" / junk / "model.safetensors") << std::string(100000, 'x');
  }
  std::ofstream(run / ".config.yaml.tmp.4242.0") << "half a config";
  const auto r = testing::run_command(train_args({"resume=" + run.string()}));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(entries(run / "checkpoints"), std::vector<std::string>{"last"});
  EXPECT_FALSE(fs::exists(run / ".config.yaml.tmp.4242.0"));
}

// Killed after logging iteration 3 but before its checkpoint: the resumed
// run logs iterations 3 and 4 again, and no step appears twice, in
// metrics.csv or across the TensorBoard event files.
TEST(NothingSilentRuns, AResumedRunLogsNoStepTwice) {
  const fs::path run = copy_of_run("no_step_twice");
  const std::string csv = testing::slurp(run / "metrics.csv");
  const std::string last_row = csv.substr(csv.rfind('\n', csv.size() - 2) + 1);
  std::ofstream(run / "metrics.csv", std::ios::app) << "1536" << last_row.substr(last_row.find(','));
  {
    TfEventsWriter lost((run / "lost").string());  // a file of the killed process, moved beside the others
    lost.scalar("charts/SPS", 1536, 1.f);
    lost.scalar("losses/value_loss", 1536, 1.f);
    lost.flush();
    fs::rename(lost.path(), run / "events.out.tfevents.1.killed");
  }
  mecrl::remove_tree(run / "lost");
  ASSERT_EQ(csv_column(run / "metrics.csv", "global_step"), (std::vector<double>{512, 1024, 1536}));
  const auto r = testing::run_command(train_args({"resume=" + run.string()}));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(csv_column(run / "metrics.csv", "global_step"), (std::vector<double>{512, 1024, 1536, 2048}));
  const auto steps = event_steps(run);
  for (const char* tag : {"charts/SPS", "losses/value_loss"}) {
    EXPECT_EQ(steps.at(tag), (std::vector<int64_t>{512, 1024, 1536, 2048})) << tag;
  }
}

// Two runs of one config started together: two directories, each with its
// own clean log (names used to have one-second resolution).
TEST(NothingSilentRuns, RunsStartedTogetherNeverShareADirectory) {
  const fs::path runs = testing::fresh_scratch_dir("nothing_silent_together");
  const std::vector<std::string> args = {MECRL_BINARY, "train", "--config", kCartPolePpo, "train.total_steps=1024",
                                         "train.runs_dir=" + runs.string(), "train.name=same", "threads=1"};
  testing::CommandResult a, b;
  std::thread ta([&] { a = testing::run_command(args); }), tb([&] { b = testing::run_command(args); });
  ta.join();
  tb.join();
  ASSERT_EQ(a.status, 0) << a.err;
  ASSERT_EQ(b.status, 0) << b.err;
  const auto dirs = entries(runs);
  ASSERT_EQ(dirs.size(), 2u);
  for (const auto& d : dirs) {
    EXPECT_EQ(d.rfind("same__1__", 0), 0u) << d;
    EXPECT_EQ(csv_column(runs / d / "metrics.csv", "global_step"), (std::vector<double>{512, 1024})) << d;
  }
}

// The first save on a full disk (here: a file-size limit, EFBIG): one line,
// the documented status 74, and no temporary directory keeping the disk full.
TEST(NothingSilentRuns, FirstSaveOnAFullDiskLeavesNothingBehind) {
  const fs::path runs = testing::fresh_scratch_dir("nothing_silent_full");
  std::string cmd = "trap '' XFSZ; ulimit -f 40; exec";
  for (const auto& a : std::vector<std::string>{MECRL_BINARY, "train", "--config", kCartPolePpo,
                                                "train.total_steps=512", "train.runs_dir=" + runs.string(),
                                                "train.name=full", "threads=1"}) {
    cmd += " '" + a + "'";
  }
  const auto r = testing::run_command({"/bin/sh", "-c", cmd});
  EXPECT_EQ(r.status, 74) << r.err;
  const std::string line = testing::first_line(r.err);
  EXPECT_EQ(line.rfind("mecrl: I/O error: cannot write '", 0), 0u) << line;
  EXPECT_NE(line.find("': File too large"), std::string::npos) << line;
  const auto dirs = entries(runs);
  ASSERT_EQ(dirs.size(), 1u);
  EXPECT_EQ(entries(runs / dirs[0] / "checkpoints"), std::vector<std::string>{}) << "no temporary directory, no last";
}

// A run that diverged must not replace its last good checkpoint with NaN
// weights (the trainer saves whatever its modules hold).
TEST(NothingSilentRuns, ASaveOfNonFiniteWeightsKeepsTheLastCheckpoint) {
  const fs::path run = copy_of_run("save_nan");
  agents::CheckpointData data = agents::load_checkpoint(last_of(run).string());
  const float inf = INFINITY;
  std::memcpy(data.model.at("policy.critic_body.0.bias").bytes.data(), &inf, 4);
  const testing::DirSnapshot before = testing::snapshot(run);
  try {
    agents::save_checkpoint(last_of(run).string(), data);
    ADD_FAILURE() << "saved";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), last_of(run).string() + ": not saved: tensor 'policy.critic_body.0.bias' holds 1 "
                                     "non-finite values (NaN or inf): training diverged (lower the learning rate?); "
                                     "the previous checkpoint stays");
  }
  EXPECT_TRUE(before == testing::snapshot(run));
}

}  // namespace
}  // namespace mecrl
