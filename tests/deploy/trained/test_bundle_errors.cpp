// Bad bundles and bad exports through the command line, as a user meets
// them: exit status 2 and one line naming the file at fault, and nothing on
// disk lost.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/file_manifest.h"
#include "deploy/trained/bundle_index.h"
#include "run_command.h"
#include "temp_dir.h"

namespace mecrl {
namespace {

namespace fs = std::filesystem;

testing::TrainedBundle bundle_named(const std::string& name) {
  for (const auto& b : testing::trained_bundles()) {
    if (b.name == name) return b;
  }
  ADD_FAILURE() << "no bundle " << name;
  return {};
}

fs::path copy_of(const fs::path& dir, const std::string& name) {
  const fs::path out = testing::fresh_scratch_dir("cli_" + name) / dir.filename();
  fs::copy(dir, out, fs::copy_options::recursive);
  return out;
}

// Runs the command and checks: status 2, exactly one line on stderr, holding every fragment.
void expect_usage_error(const std::vector<std::string>& args, const std::vector<std::string>& fragments) {
  const auto r = testing::run_command(args);
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  for (const auto& f : fragments) EXPECT_NE(r.err.find(f), std::string::npos) << "'" << f << "' not in: " << r.err;
}

std::vector<std::string> eval_cmd(const std::string& config, const fs::path& policy) {
  return {MECRL_BINARY, "eval", "--config", MECRL_SOURCE_DIR "/configs/" + config, "--policy", policy.string(),
          "--episodes", "2"};
}

TEST(BundleErrors, CorruptBundlesNameTheFile) {
  const fs::path good = bundle_named("cartpole_ppo").bundle;
  const fs::path truncated = copy_of(good, "truncated");
  fs::resize_file(truncated / "policy.safetensors", fs::file_size(truncated / "policy.safetensors") / 2);
  expect_usage_error(eval_cmd("cartpole.yaml", truncated),
                     {(truncated / "policy.safetensors").string(), "truncated policy bundle"});

  const fs::path flipped = copy_of(good, "flipped");
  {
    std::fstream f(flipped / "policy.safetensors", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-3, std::ios::end);
    f.put('\x55');
  }
  expect_usage_error(eval_cmd("cartpole.yaml", flipped), {(flipped / "policy.safetensors").string(), "CRC32C mismatch"});

  const fs::path edited = copy_of(good, "edited");
  std::string text = read_file((edited / "policy.json").string());
  text.replace(text.find("\"cartpole\""), 10, "\"cartpolE\"");
  std::ofstream(edited / "policy.json", std::ios::binary) << text;
  expect_usage_error(eval_cmd("cartpole.yaml", edited), {(edited / "policy.json").string(), "CRC32C mismatch"});

  const fs::path no_manifest = copy_of(good, "nomanifest");
  fs::remove(no_manifest / "manifest.json");
  expect_usage_error(eval_cmd("cartpole.yaml", no_manifest), {(no_manifest / "manifest.json").string(), "missing"});
}

TEST(BundleErrors, BundleThatDoesNotFitTheEnv) {
  // Wrong scenario: a cartpole policy for the offload env.
  expect_usage_error(eval_cmd("offload.yaml", bundle_named("cartpole_ppo").bundle),
                     {"policy.json", "'cartpole' with 4 features", "this env is 'offload'"});
  // Wrong feature count: trained with 2 servers (32 features), evaluated with 1 (27).
  expect_usage_error(eval_cmd("offload.yaml", bundle_named("offload_ppo_lag").bundle),
                     {"policy.json", "32 features and 3 actions", "27 features and 2 actions"});
  // A consistent bundle (manifest updated) whose description contradicts its weights.
  const fs::path lying = copy_of(bundle_named("cartpole_ppo").bundle, "lying");
  nlohmann::json doc = nlohmann::json::parse(read_file((lying / "policy.json").string()));
  doc["observation"]["features"] = 5;
  const std::string bytes = doc.dump();
  write_file_atomic((lying / "policy.json").string(), bytes);
  nlohmann::json manifest = nlohmann::json::parse(read_file((lying / "manifest.json").string()));
  manifest["files"]["policy.json"] = manifest_entry(bytes);
  write_file_atomic((lying / "manifest.json").string(), manifest.dump());
  expect_usage_error(eval_cmd("cartpole.yaml", lying),
                     {(lying / "policy.json").string(), "observation.features = 5", "takes 4"});
}

TEST(BundleErrors, ExportRefusesBadInputsAndKeepsWhatIsOnDisk) {
  const auto b = bundle_named("cartpole_ppo");
  const fs::path root = testing::fresh_scratch_dir("export_cli");
  // A directory that is not a bundle is never replaced.
  fs::create_directories(root / "mine");
  std::ofstream(root / "mine" / "notes.txt") << "keep me";
  expect_usage_error({MECRL_BINARY, "export", "--policy", b.checkpoint, "--out", (root / "mine").string()},
                     {"refusing to replace it"});
  EXPECT_EQ(read_file((root / "mine" / "notes.txt").string()), "keep me");
  // A corrupt checkpoint is named.
  const fs::path run = copy_of(fs::path(b.checkpoint).parent_path().parent_path(), "run");
  const fs::path ckpt = run / "checkpoints" / "last";
  {
    std::fstream f(ckpt / "model.safetensors", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-3, std::ios::end);
    f.put('\x55');
  }
  expect_usage_error({MECRL_BINARY, "export", "--policy", ckpt.string(), "--out", (root / "b").string()},
                     {(ckpt / "model.safetensors").string(), "CRC32C mismatch"});
  EXPECT_FALSE(fs::exists(root / "b"));
  // The run config of another scenario.
  expect_usage_error({MECRL_BINARY, "export", "--policy", b.checkpoint, "--out", (root / "b").string(), "--config",
                      bundle_named("uncertainty_ppo").config},
                     {"describes scenario 'uncertainty'", "trained on 'cartpole'"});
  // No run config beside the checkpoint.
  const fs::path lone = testing::fresh_scratch_dir("lone") / "last";
  fs::copy(b.checkpoint, lone, fs::copy_options::recursive);
  expect_usage_error({MECRL_BINARY, "export", "--policy", lone.string(), "--out", (root / "b").string()},
                     {"config.yaml: the run's resolved config is missing"});
  // An existing bundle is replaced.
  const fs::path again = copy_of(b.bundle, "again");
  const auto r = testing::run_command({MECRL_BINARY, "export", "--policy", b.checkpoint, "--out", again.string()});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(read_file((again / "policy.safetensors").string()), read_file(b.bundle + "/policy.safetensors"));
}

}  // namespace
}  // namespace mecrl
