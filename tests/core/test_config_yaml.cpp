// A run's config.yaml is YAML any reader can load (scripts/report reads it
// with PyYAML): written by write_config_yaml, read back here with yaml-cpp,
// every value the same string, lists as sequences.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

#include "core/config.h"
#include "temp_dir.h"

namespace mecrl {
namespace {

TEST(ConfigYaml, RoundTripsThroughAYamlReader) {
  const std::vector<ResolvedKey> keys = {
      {"tables.gpus.A100.source", "[pub] NVIDIA A100 datasheet", "any string", "provenance", ""},
      {"tables.gpus.A100.name", "NVIDIA A100-80GB", "any string", "display name", ""},
      {"tables.models.x.source", "weights [paper]; acc [A: 95 % retained]", "any string", "tags", ""},
      {"env.note", "say \"hi\" \\ bye", "any string", "quotes and a backslash", ""},
      {"env.colon", "a: b", "any string", "a mapping lookalike", ""},
      {"env.dash", "- item", "any string", "a sequence lookalike", ""},
      {"env.noise_dbm_per_hz", "-174", "[-250, -100]", "a negative number", ""},
      {"env.scenario", "offload", "offload | uncertainty", "plain word", ""},
      // A list of numbers, as ConfigReader records it (its range in `allowed`).
      {"lagrangian.lr", "[0.03, 0.1, 0.1]", "number or list of numbers in [0, 100]", "one per cost", "", true},
      {"train.name", "", "any string", "empty", ""},
  };
  std::ostringstream os;
  write_config_yaml(os, keys);
  const YAML::Node root = YAML::Load(os.str());
  for (const auto& k : keys) {
    YAML::Node n = root;
    std::stringstream path(k.key);
    for (std::string part; std::getline(path, part, '.');) n.reset(n[part]);  // reset: move, not assign
    ASSERT_TRUE(n.IsDefined()) << k.key << "\n" << os.str();
    if (k.is_list) {
      ASSERT_TRUE(n.IsSequence()) << k.key;
      EXPECT_EQ(n.size(), 3u);
      EXPECT_EQ(n[0].as<std::string>(), "0.03");
    } else {
      ASSERT_TRUE(n.IsScalar()) << k.key << "\n" << os.str();
      EXPECT_EQ(n.as<std::string>(), k.value) << k.key << "\n" << os.str();
    }
  }
}

// And read back by the project's own loader.
TEST(ConfigYaml, ResolvedKeysRoundTrip) {
  const std::vector<ResolvedKey> keys = {
      {"tables.gpus.A100.source", "[pub] NVIDIA A100 datasheet", "any string", "provenance", "x"},
      {"tables.gpus.A100.name", "NVIDIA A100-80GB", "any string", "display name", "x"},
      {"tables.gpus.A100.note", "say \"hi\" \\ back, then: stop # not a comment", "any string", "free text", "x"},
      {"env.server.gpu", "[L4, A100]", "list", "one per server", "x", true},
      {"lagrangian.lr", "[0.03, 0.1, 0.1]", "number or list of numbers in [0, 100]", "one per cost", "x", true},
      {"env.dt_s", "0.25", "(0, 10]", "slot length, s", "x"},
      {"seed", "7", "integer", "run seed", "x"},
  };
  std::ostringstream os;
  write_config_yaml(os, keys);
  const auto path = testing::fresh_scratch_dir("config_yaml") / "config.yaml";
  std::ofstream(path) << os.str();
  const Config cfg = Config::load(path.string());
  for (const ResolvedKey& k : keys) {
    const ConfigValue* v = cfg.find(k.key);
    ASSERT_NE(v, nullptr) << k.key << " in\n" << os.str();
    if (k.is_list) {
      EXPECT_TRUE(v->is_sequence) << k.key;
      const std::vector<std::string> want =
          k.key == "env.server.gpu" ? std::vector<std::string>{"L4", "A100"} : std::vector<std::string>{"0.03", "0.1", "0.1"};
      EXPECT_EQ(v->items, want) << k.key;
    } else {
      EXPECT_FALSE(v->is_sequence) << k.key;
      EXPECT_EQ(v->text, k.value) << k.key << " in\n" << os.str();
    }
  }
}

}  // namespace
}  // namespace mecrl
