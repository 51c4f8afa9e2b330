// mecrl catalogue as scripts/report calls it: one JSON object with a row per
// model of configs/tables/models.yaml (counted here with yaml-cpp), and one
// error line for a config without the offload tables.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "run_command.h"

namespace mecrl {
namespace {

TEST(CliCatalogue, JsonListsEveryModel) {
  const auto r = testing::run_command(
      {MECRL_BINARY, "catalogue", "--config", MECRL_SOURCE_DIR "/configs/offload.yaml", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  const YAML::Node models = YAML::LoadFile(MECRL_SOURCE_DIR "/configs/tables/models.yaml")["tables"]["models"];
  ASSERT_EQ(j["models"].size(), models.size());
  size_t k = 0;
  for (const auto& kv : models) EXPECT_EQ(j["models"][k++]["key"], kv.first.as<std::string>());
  EXPECT_EQ(j["devices"].size(), 3u);
  EXPECT_EQ(j["gpus"].size(), 4u);
  // ECLD on the Snapdragon 865: 185 J (tests/envs/offload/test_catalogue.cpp derives it by hand).
  const auto& ecld = j["models"][5];
  ASSERT_EQ(ecld["key"], "llama31_8b_ecld");
  EXPECT_NEAR(ecld["on_device"][0]["energy_j"].get<double>(), 185.0, 185.0 * 1e-5);
  EXPECT_TRUE(ecld["on_device"][0]["fits"].get<bool>());
}

TEST(CliCatalogue, OtherScenarioIsOneLine) {
  const std::string cfg = MECRL_SOURCE_DIR "/configs/uncertainty.yaml";
  const auto r = testing::run_command({MECRL_BINARY, "catalogue", "--config", cfg});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("the catalogue reads the offload tables"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

}  // namespace
}  // namespace mecrl
