// The deployment runtime (deploy/policy_runtime.h through the C ABI of
// mecrl_policy.h) on bundles with random weights: its forward against a
// double-precision forward written here from the formulas of policy.json,
// its masking, and one clear error per malformed bundle. LibTorch's own
// outputs are compared in tests/deploy/trained/ and tests/python/.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>

#include <fmt/format.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/file_manifest.h"
#include "core/safetensors.h"
#include "deploy/bundle_format.h"
#include "deploy/mecrl_policy.h"
#include "deploy/synthetic_bundle.h"
#include "temp_dir.h"

namespace mecrl::deploy {
namespace {

namespace fs = std::filesystem;
using Policy = std::unique_ptr<mecrl_policy, void (*)(mecrl_policy*)>;

Policy load(const fs::path& dir) { return Policy(mecrl_policy_load(dir.c_str()), mecrl_policy_free); }

// The forward of policy.json "network.forward", in double after the float32
// normalisation step (which is specified in float32).
std::vector<double> reference_probs(const ActorWeights& a, const float* obs, const uint8_t* mask) {
  std::vector<double> x(obs, obs + a.features());
  if (a.normalizes()) {
    for (int64_t k = 0; k < a.features(); ++k) {
      x[k] = std::min(std::max((obs[k] - a.obs_mean[k]) / a.obs_std[k], -a.obs_clip), a.obs_clip);
    }
  }
  for (size_t l = 0; l < a.layers.size(); ++l) {
    const DenseLayer& d = a.layers[l];
    std::vector<double> y(d.out);
    for (int64_t o = 0; o < d.out; ++o) {
      double s = d.bias[o];
      for (int64_t i = 0; i < d.in; ++i) s += static_cast<double>(d.weight[o * d.in + i]) * x[i];
      y[o] = l + 1 < a.layers.size() ? std::tanh(s) : s;
    }
    x = y;
  }
  double top = -1e300;
  for (int64_t k = 0; k < a.actions(); ++k) {
    if (mask && !mask[k]) x[k] = kMaskedLogit;
    top = std::max(top, x[k]);
  }
  double sum = 0;
  for (double& v : x) sum += v = std::exp(v - top);
  for (double& v : x) v /= sum;
  return x;
}

fs::path write_synthetic(const std::string& name, const ActorWeights& a) {
  const fs::path dir = testing::fresh_scratch_dir("runtime_" + name) / "bundle";
  write_bundle(dir.string(), testing::synthetic_input(a));
  return dir;
}

class RuntimeForward : public ::testing::TestWithParam<bool> {};

TEST_P(RuntimeForward, MatchesADoublePrecisionForward) {
  const bool norm = GetParam();
  const ActorWeights a = testing::random_actor(13, 32, 5, norm, 7);
  const fs::path dir = write_synthetic(norm ? "norm" : "plain", a);
  const Policy p = load(dir);
  ASSERT_TRUE(p) << mecrl_policy_last_error();
  EXPECT_EQ(mecrl_policy_features(p.get()), 13);
  EXPECT_EQ(mecrl_policy_actions(p.get()), 5);
  EXPECT_STREQ(mecrl_policy_scenario(p.get()), "synthetic");

  const int64_t n = 257;  // not a multiple of any vector width
  std::mt19937 gen(11);  // seed printed by the test name: fixed
  std::normal_distribution<float> normal(0.f, 4.f);  // wide enough to hit the +-10 clip when normalising
  std::bernoulli_distribution allowed(0.7);
  std::vector<float> obs(n * 13), probs(n * 5);
  std::vector<uint8_t> mask(n * 5);
  std::vector<int32_t> actions(n);
  for (float& v : obs) v = normal(gen);
  for (uint8_t& m : mask) m = allowed(gen);
  for (const bool masked : {false, true}) {
    ASSERT_EQ(mecrl_policy_act(p.get(), obs.data(), masked ? mask.data() : nullptr, n, actions.data(), probs.data()),
              0)
        << mecrl_policy_last_error();
    for (int64_t r = 0; r < n; ++r) {
      const std::vector<double> want = reference_probs(a, &obs[r * 13], masked ? &mask[r * 5] : nullptr);
      int64_t best = 0;
      for (int64_t k = 0; k < 5; ++k) {
        EXPECT_NEAR(probs[r * 5 + k], want[k], 1e-6) << "row " << r << " action " << k;
        if (want[k] > want[best]) best = k;
      }
      std::vector<double> sorted = want;
      std::sort(sorted.rbegin(), sorted.rend());
      if (sorted[0] - sorted[1] > 1e-5) {
        EXPECT_EQ(actions[r], best) << "row " << r;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(ObsNorm, RuntimeForward, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "normalised" : "raw"; });

TEST(Runtime, ForbiddenActionsGetNoProbabilityAndAreNeverChosen) {
  const ActorWeights a = testing::random_actor(4, 8, 3, false, 3);
  const Policy p = load(write_synthetic("mask", a));
  ASSERT_TRUE(p) << mecrl_policy_last_error();
  const float obs[4] = {0.5f, -1.f, 2.f, 0.f};
  for (int only = 0; only < 3; ++only) {
    uint8_t mask[3] = {0, 0, 0};
    mask[only] = 1;
    int32_t action = -1;
    float probs[3];
    ASSERT_EQ(mecrl_policy_act(p.get(), obs, mask, 1, &action, probs), 0);
    EXPECT_EQ(action, only);
    for (int k = 0; k < 3; ++k) EXPECT_EQ(probs[k], k == only ? 1.f : 0.f);
  }
  // Every action forbidden: like the trainer's masked_fill, all logits equal -> uniform, action 0.
  const uint8_t none[3] = {0, 0, 0};
  int32_t action = -1;
  float probs[3];
  ASSERT_EQ(mecrl_policy_act(p.get(), obs, none, 1, &action, probs), 0);
  EXPECT_EQ(action, 0);
  for (float q : probs) EXPECT_NEAR(q, 1.f / 3.f, 1e-7);
}

TEST(Runtime, RejectsNonFiniteObservationsAndBadArguments) {
  const Policy p = load(write_synthetic("args", testing::random_actor(3, 4, 2, true, 5)));
  ASSERT_TRUE(p) << mecrl_policy_last_error();
  const float obs[6] = {0.f, 1.f, 2.f, 3.f, INFINITY, 5.f};
  int32_t actions[2];
  EXPECT_EQ(mecrl_policy_act(p.get(), obs, nullptr, 2, actions, nullptr), -1);
  EXPECT_STREQ(mecrl_policy_last_error(), "observation row 1 feature 1 (f1) is inf, must be finite");
  EXPECT_EQ(mecrl_policy_act(p.get(), obs, nullptr, 1, nullptr, nullptr), -1);
  EXPECT_NE(std::string(mecrl_policy_last_error()).find("both actions and probs are NULL"), std::string::npos);
  EXPECT_EQ(mecrl_policy_act(p.get(), obs, nullptr, -1, actions, nullptr), -1);
  EXPECT_EQ(mecrl_policy_act(p.get(), obs, nullptr, 1, actions, nullptr), 0);
  EXPECT_STREQ(mecrl_policy_last_error(), "");
}

// ---- malformed bundles: NULL, and one line naming the file at fault

class BrokenBundle : public ::testing::Test {
 protected:
  void SetUp() override {
    actor_ = testing::random_actor(6, 8, 3, true, 9);
    good_ = testing::fresh_scratch_dir("broken_good") / "bundle";
    write_bundle(good_.string(), testing::synthetic_input(actor_));
  }
  fs::path copy(const std::string& name) {
    const fs::path dir = testing::fresh_scratch_dir("broken_" + name) / "bundle";
    fs::copy(good_, dir, fs::copy_options::recursive);
    return dir;
  }
  // Replaces a file and its manifest entry, so only the content is wrong.
  static void rewrite(const fs::path& dir, const std::string& name, const std::string& bytes) {
    write_file_atomic((dir / name).string(), bytes);
    nlohmann::json m = nlohmann::json::parse(read_file((dir / kManifestFile).string()));
    m["files"][name] = manifest_entry(bytes);
    write_file_atomic((dir / kManifestFile).string(), m.dump());
  }
  static std::string load_error(const fs::path& dir) {
    const Policy p = load(dir);
    EXPECT_FALSE(p) << dir << " was accepted";
    const std::string e = mecrl_policy_last_error();
    EXPECT_EQ(e.find('\n'), std::string::npos) << "one line: " << e;
    return e;
  }
  ActorWeights actor_;
  fs::path good_;
};

TEST_F(BrokenBundle, MissingOrForeignManifest) {
  EXPECT_EQ(load_error(good_ / "nope"), (good_ / "nope").string() + ": not a policy bundle directory");
  const fs::path none = copy("nomanifest");
  fs::remove(none / kManifestFile);
  EXPECT_EQ(load_error(none), (none / kManifestFile).string() + ": missing (not a policy bundle, or an interrupted export)");
  const fs::path garbage = copy("garbage");
  std::ofstream(garbage / kManifestFile) << "{\"format\": ";
  EXPECT_NE(load_error(garbage).find((garbage / kManifestFile).string() + ": not valid JSON"), std::string::npos);
  const fs::path foreign = copy("foreign");
  std::ofstream(foreign / kManifestFile) << R"({"format": "something-else", "files": {}})";
  EXPECT_NE(load_error(foreign).find("not a mecrl policy bundle manifest"), std::string::npos);
}

TEST_F(BrokenBundle, TruncatedOrFlippedWeights) {
  const fs::path truncated = copy("truncated");
  const fs::path w = truncated / kWeightsFile;
  const auto size = fs::file_size(w);
  fs::resize_file(w, size - 7);
  EXPECT_EQ(load_error(truncated),
            fmt::format("{}: {} bytes, expected {} (truncated policy bundle)", w.string(), size - 7, size));
  const fs::path flipped = copy("flipped");
  {
    std::fstream f(flipped / kWeightsFile, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(-5, std::ios::end);  // inside the last tensor's data
    const char c = static_cast<char>(f.get());
    f.seekp(-5, std::ios::end);
    f.put(static_cast<char>(c ^ 0x10));
  }
  EXPECT_EQ(load_error(flipped), (flipped / kWeightsFile).string() + ": CRC32C mismatch (corrupt policy bundle)");
}

TEST_F(BrokenBundle, EditedPolicyJson) {
  const fs::path edited = copy("edited");
  std::string text = read_file((edited / kPolicyJsonFile).string());
  const size_t at = text.find("synthetic");
  ASSERT_NE(at, std::string::npos);
  text[at] = 'S';  // same length: only the checksum can tell
  std::ofstream(edited / kPolicyJsonFile, std::ios::binary) << text;
  EXPECT_EQ(load_error(edited), (edited / kPolicyJsonFile).string() + ": CRC32C mismatch (corrupt policy bundle)");
}

TEST_F(BrokenBundle, DescriptionThatContradictsTheWeights) {
  const fs::path wrong = copy("features");
  nlohmann::json doc = nlohmann::json::parse(read_file((wrong / kPolicyJsonFile).string()));
  doc["observation"]["features"] = 7;
  rewrite(wrong, kPolicyJsonFile, doc.dump());
  EXPECT_EQ(load_error(wrong), (wrong / kPolicyJsonFile).string() +
                                   ": observation.features = 7, but the actor in policy.safetensors takes 6");
  const fs::path missing_key = copy("key");
  doc = nlohmann::json::parse(read_file((missing_key / kPolicyJsonFile).string()));
  doc["network"].erase("layers");
  rewrite(missing_key, kPolicyJsonFile, doc.dump());
  EXPECT_EQ(load_error(missing_key), (missing_key / kPolicyJsonFile).string() + ": key 'network.layers' is missing");
  const fs::path not_json = copy("notjson");
  rewrite(not_json, kPolicyJsonFile, "scenario: offload");
  EXPECT_NE(load_error(not_json).find((not_json / kPolicyJsonFile).string() + ": not valid JSON"), std::string::npos);
}

TEST_F(BrokenBundle, WeightsOfTheWrongShapeOrWithExtraTensors) {
  auto tensors = actor_tensors(actor_);
  const fs::path shape = copy("shape");
  auto bad = tensors;
  bad["actor.2.weight"].shape = {4, 16};  // same bytes, wrong shape
  rewrite(shape, kWeightsFile, encode_safetensors(bad, {}));
  EXPECT_EQ(load_error(shape), (shape / kWeightsFile).string() +
                                   ": tensor 'actor.2.weight' takes 16 inputs but the layer before gives 8");
  const fs::path extra = copy("extra");
  bad = tensors;
  bad["critic.0.weight"] = bad["actor.4.bias"];
  rewrite(extra, kWeightsFile, encode_safetensors(bad, {}));
  EXPECT_EQ(load_error(extra), (extra / kWeightsFile).string() + ": unexpected tensor 'critic.0.weight'");
  const fs::path nan = copy("nan");
  bad = tensors;
  std::vector<float> mean = actor_.obs_mean;
  mean[2] = NAN;
  bad[kObsMeanTensor] = make_f32({6}, mean.data());
  rewrite(nan, kWeightsFile, encode_safetensors(bad, {}));
  EXPECT_EQ(load_error(nan), (nan / kWeightsFile).string() + ": tensor 'obs_norm.mean' element 2 is nan");
}

// ---- the writer: atomic, and never replaces something that is not a bundle

TEST(BundleWriter, ReplacesABundleButRefusesAnyOtherDirectory) {
  const fs::path root = testing::fresh_scratch_dir("writer");
  const ActorWeights a = testing::random_actor(3, 4, 2, false, 1), b = testing::random_actor(3, 4, 2, false, 2);
  write_bundle((root / "bundle").string(), testing::synthetic_input(a));
  const std::string before = read_file((root / "bundle" / kWeightsFile).string());
  write_bundle((root / "bundle").string(), testing::synthetic_input(b));
  EXPECT_NE(read_file((root / "bundle" / kWeightsFile).string()), before);
  EXPECT_EQ(decode_safetensors(read_file((root / "bundle" / kWeightsFile).string()), "x").tensors.at("actor.0.weight").bytes,
            actor_tensors(b).at("actor.0.weight").bytes);

  fs::create_directories(root / "mine");
  std::ofstream(root / "mine" / "notes.txt") << "keep me";
  try {
    write_bundle((root / "mine").string(), testing::synthetic_input(a));
    ADD_FAILURE() << "replaced a directory that is not a bundle";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("is not a policy bundle; refusing to replace it"), std::string::npos);
  }
  EXPECT_EQ(read_file((root / "mine" / "notes.txt").string()), "keep me");
  for (const auto& entry : fs::directory_iterator(root)) {
    EXPECT_EQ(entry.path().filename().string().find(".export-"), std::string::npos) << "temporary left behind";
  }
}

TEST(BundleWriter, RefusesADescriptionOfAnotherShape) {
  const fs::path root = testing::fresh_scratch_dir("writer_shape");
  BundleInput in = testing::synthetic_input(testing::random_actor(3, 4, 2, false, 1));
  in.description["observation"]["list"].push_back({{"name", "extra"}});
  EXPECT_THROW(write_bundle((root / "b").string(), in), UsageError);
  EXPECT_FALSE(fs::exists(root / "b"));
}

}  // namespace
}  // namespace mecrl::deploy
