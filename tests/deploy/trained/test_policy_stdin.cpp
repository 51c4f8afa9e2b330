// The example controller (deploy/examples/policy_stdin.cpp) fed CSV and JSON
// lines: it prints LibTorch's greedy decisions for recorded observations, and
// stops at a bad line with one message naming it.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/safetensors.h"
#include "deploy/trained/bundle_index.h"
#include "run_command.h"
#include "temp_dir.h"

namespace mecrl {
namespace {

testing::CommandResult run_with_stdin(const std::string& bundle, const std::string& input, const std::string& flags) {
  const auto path = testing::fresh_scratch_dir("stdin") / "input.txt";
  std::ofstream(path) << input;
  return testing::run_command(
      {"/bin/sh", "-c", fmt::format("'{}' '{}' {} < '{}'", MECRL_POLICY_RUN, bundle, flags, path.string())});
}

TEST(PolicyStdin, CsvAndJsonLinesGiveLibTorchsDecisions) {
  for (const auto& b : testing::trained_bundles()) {
    if (b.name != "uncertainty_ppo") continue;  // has masks: the CSV mask columns matter
    const SafetensorsFile ref = read_safetensors(b.reference);
    const auto obs = tensor_values<float>(ref.tensors.at("recorded.obs"));
    const auto mask = tensor_values<uint8_t>(ref.tensors.at("recorded.mask"));
    const auto want = tensor_values<int64_t>(ref.tensors.at("recorded.actions"));
    const size_t f = ref.tensors.at("recorded.obs").shape[1], a = ref.tensors.at("recorded.mask").shape[1];
    std::string csv = "# obs then mask\n", jsonl;
    std::string expected;
    for (size_t r = 0; r < 20; ++r) {
      std::vector<std::string> o, m;
      for (size_t k = 0; k < f; ++k) o.push_back(fmt::format("{:.9g}", obs[r * f + k]));
      for (size_t k = 0; k < a; ++k) m.push_back(std::to_string(mask[r * a + k]));
      csv += fmt::format("{},{}\n", fmt::join(o, ","), fmt::join(m, ","));
      jsonl += fmt::format("{{\"obs\": [{}], \"action_mask\": [{}]}}\n", fmt::join(o, ", "), fmt::join(m, ", "));
      expected += std::to_string(want[r]) + "\n";
    }
    const auto from_csv = run_with_stdin(b.bundle, csv, "");
    ASSERT_EQ(from_csv.status, 0) << from_csv.err;
    EXPECT_EQ(from_csv.out, expected);
    const auto from_json = run_with_stdin(b.bundle, jsonl, "--probs");
    ASSERT_EQ(from_json.status, 0) << from_json.err;
    std::istringstream lines(from_json.out);
    std::string line;
    for (size_t r = 0; std::getline(lines, line); ++r) {
      const auto j = nlohmann::json::parse(line);
      EXPECT_EQ(j["action"].get<int64_t>(), want[r]) << "row " << r;
      EXPECT_EQ(j["probs"].size(), a);
    }
    const auto bad = run_with_stdin(b.bundle, csv.substr(0, csv.find('\n', 16) + 1) + "1,2,x\n", "");
    EXPECT_EQ(bad.status, 2);
    EXPECT_NE(bad.err.find("stdin line 3: 'x' is not a number"), std::string::npos) << bad.err;
    const auto short_row = run_with_stdin(b.bundle, "1,2,3\n", "");
    EXPECT_EQ(short_row.status, 2);
    EXPECT_NE(short_row.err.find("stdin line 1: expected " + std::to_string(f)), std::string::npos) << short_row.err;
    return;
  }
  FAIL() << "no uncertainty bundle";
}

}  // namespace
}  // namespace mecrl
