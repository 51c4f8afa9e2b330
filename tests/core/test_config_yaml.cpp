// write_config_yaml (a run's config.yaml) read back with Config::load gives
// every value as it was resolved: strings YAML would misread ("[pub] ...",
// "a: b", quotes and backslashes) are quoted, lists stay lists.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/config.h"
#include "temp_dir.h"

namespace mecrl {
namespace {

TEST(ConfigYaml, ResolvedKeysRoundTrip) {
  const std::vector<ResolvedKey> keys = {
      {"tables.gpus.A100.source", "[pub] NVIDIA A100 datasheet", "any string", "provenance", "x"},
      {"tables.gpus.A100.name", "NVIDIA A100-80GB", "any string", "display name", "x"},
      {"tables.gpus.A100.note", "say \"hi\" \\ back, then: stop # not a comment", "any string", "free text", "x"},
      {"env.server.gpu", "[L4, A100]", "list", "one per server", "x"},
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
    if (k.allowed == "list") {
      EXPECT_TRUE(v->is_sequence) << k.key;
      EXPECT_EQ(v->items, (std::vector<std::string>{"L4", "A100"}));
    } else {
      EXPECT_FALSE(v->is_sequence) << k.key;
      EXPECT_EQ(v->text, k.value) << k.key << " in\n" << os.str();
    }
  }
}

}  // namespace
}  // namespace mecrl
