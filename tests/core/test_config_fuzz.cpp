// Fuzzing the config loader: mutants of the shipped configs (and of
// command-line values) go through Config::load and every scenario's reader.
// The only acceptable outcomes are a config or a UsageError (one line for
// the user); any other exception, or a crash, fails. Bounded time
// (MECRL_FUZZ_SECONDS, default 10 s); the seed and the failing input print.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/error.h"
#include "envs/cartpole/params_config.h"
#include "envs/offload/evaluate.h"
#include "envs/offload/params_config.h"
#include "envs/uncertainty/evaluate.h"
#include "envs/uncertainty/params_config.h"
#include "fuzz_mutate.h"
#include "temp_dir.h"

namespace mecrl {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kYamlTokens = {
    ":", ": ", "- ", "[", "]", "{", "}", ",", "&a ", "*a", "&b ", "*b", "!!str ", "? ", "|\n", ">\n", "'", "\"",
    "#", "\n", "\n  ", "\t", "---\n", "...\n", "~", "nan", ".inf", "-1", "1e-300", "1e39", "0x10", "base: ",
    "base: [", "env.", "env:\n  num_users: ", "tables.", "<<: *a\n", "\xef\xbb\xbf", std::string(1, '\0')};

// Reads everything a config can hold for its scenario (as the commands do,
// minus the learner's keys, which live in agents/).
void read_everything(const Config& cfg) {
  ConfigReader r(cfg);
  std::string scenario = "offload";
  r.get("env.scenario", scenario, {"offload", "uncertainty", "cartpole"}, "scenario");
  if (scenario == "offload") {
    offload::read_offload_params(r);
    offload::read_eval_settings(r);
  } else if (scenario == "uncertainty") {
    uncertainty::read_uncertainty_params(r);
    uncertainty::read_eval_settings(r);
  } else {
    cartpole::read_cartpole_params(r);
  }
  for (const char* p : {"train.", "ppo.", "wm.", "lagrangian.", "eval.", "resume"}) r.allow_prefix(p);
  r.finish();
}

TEST(ConfigFuzz, MutantsLoadOrFailWithOneUsageError) {
  // The configs tree copied, so a mutant's `base:` finds the tables.
  const fs::path dir = testing::fresh_scratch_dir("config_fuzz");
  fs::copy(MECRL_SOURCE_DIR "/configs", dir / "configs", fs::copy_options::recursive);
  std::vector<std::string> seeds;
  for (const auto& e : fs::recursive_directory_iterator(dir / "configs")) {
    if (e.path().extension() == ".yaml") seeds.push_back(testing::slurp(e.path()));
  }
  ASSERT_GE(seeds.size(), 8u);
  const uint64_t seed = testing::fuzz_seed(20261114);
  testing::Mutator m(seed);
  const std::string path = (dir / "configs" / "fuzz.yaml").string();
  const auto t0 = std::chrono::steady_clock::now();
  const double budget = testing::fuzz_seconds(10);
  long n = 0, loaded = 0;
  for (; testing::seconds_since(t0) < budget; ++n) {
    const std::string input = m.mutate(seeds[m.pick(seeds.size())], kYamlTokens, seeds);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << input;
    // Half the inputs also get a mutated command-line value.
    const bool with_value = m.pick(2) == 0;
    const std::string value = with_value ? m.mutate("50", kYamlTokens) : "";
    try {
      Config cfg = Config::load(path);
      if (with_value) cfg.set("env.num_users", value, "fuzz");
      read_everything(cfg);
      ++loaded;
    } catch (const UsageError&) {
      // the expected outcome for most mutants
    } catch (const std::exception& e) {
      ADD_FAILURE() << "seed " << seed << ", iteration " << n << ": " << typeid(e).name() << ": " << e.what()
                    << "\ninput:\n" << input << "\nvalue: " << value;
      break;
    }
  }
  std::cout << "config fuzz: " << n << " inputs in " << budget << " s (seed " << seed << "), " << loaded
            << " loaded, 0 crashes\n";
  EXPECT_GT(n, 100);
}

}  // namespace
}  // namespace mecrl
