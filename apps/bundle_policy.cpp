#include "apps/bundle_policy.h"

#include <filesystem>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "core/error.h"
#include "core/random.h"
#include "deploy/bundle_format.h"
#include "deploy/mecrl_policy.h"

namespace mecrl::app {

bool is_policy_bundle(const std::string& path) {
  // error_code overloads: a dangling or looping link is not a bundle (the
  // checkpoint loader names what is wrong with it), not an I/O error.
  const std::filesystem::path p(path);
  std::error_code ec;
  return std::filesystem::is_directory(p, ec) && (std::filesystem::exists(p / deploy::kManifestFile, ec) ||
                                                  std::filesystem::exists(p / deploy::kPolicyJsonFile, ec));
}

ActFn load_bundle_policy(const std::string& dir, bool deterministic, uint64_t seed) {
  std::shared_ptr<mecrl_policy> policy(mecrl_policy_load(dir.c_str()), mecrl_policy_free);
  if (!policy) throw UsageError(mecrl_policy_last_error());
  struct Scratch {
    std::vector<int64_t> rows;    // [n] deciding rows of the batch
    std::vector<float> obs;       // [n, F]
    std::vector<uint8_t> mask;    // [n, A]
    std::vector<int32_t> actions; // [n]
    std::vector<float> probs;     // [n, A] (sampling only)
    uint32_t calls = 0;           // Philox counter for sampling
  };
  auto scratch = std::make_shared<Scratch>();
  const std::string json_path = (std::filesystem::path(dir) / deploy::kPolicyJsonFile).string();
  return [policy, scratch, deterministic, seed, json_path](VecEnv& env, int32_t* actions) {
    const EnvDims& d = env.dims();
    const int f = mecrl_policy_features(policy.get()), a = mecrl_policy_actions(policy.get());
    const std::string scenario = mecrl_policy_scenario(policy.get());
    if (env.scenario() != scenario || d.features != f || d.actions != a) {
      throw UsageError(fmt::format("{}: the bundle's policy is for '{}' with {} features and {} actions; this env is "
                                   "'{}' with {} features and {} actions (the number of servers must match; the "
                                   "number of users may differ)",
                                   json_path, scenario, f, a, env.scenario(), d.features, d.actions));
    }
    if (env.device() != Device::Cpu) throw UsageError("eval of a policy bundle runs on the CPU backend");
    const StepBuffers& b = env.buffers();
    const int64_t total = static_cast<int64_t>(d.num_envs) * d.users;
    Scratch& s = *scratch;
    s.rows.clear();
    for (int64_t r = 0; r < total; ++r) {
      actions[r] = 0;  // the checkpoint path's a * active: inactive rows act 0
      if (b.active[r]) s.rows.push_back(r);
    }
    const auto n = static_cast<int64_t>(s.rows.size());
    s.obs.resize(static_cast<size_t>(n * f));
    s.mask.resize(static_cast<size_t>(n * a));
    s.actions.resize(static_cast<size_t>(n));
    s.probs.resize(deterministic ? 0 : static_cast<size_t>(n * a));
    for (int64_t k = 0; k < n; ++k) {
      const int64_t r = s.rows[k];
      std::copy(b.obs + r * f, b.obs + (r + 1) * f, s.obs.begin() + k * f);
      std::copy(b.action_mask + r * a, b.action_mask + (r + 1) * a, s.mask.begin() + k * a);
    }
    if (mecrl_policy_act(policy.get(), s.obs.data(), s.mask.data(), n, s.actions.data(),
                         deterministic ? nullptr : s.probs.data()) != 0) {
      throw UsageError(mecrl_policy_last_error());
    }
    if (!deterministic) {  // inverse CDF of each row's probabilities
      for (int64_t k = 0; k < n; ++k) {
        Rng rng(seed, static_cast<uint32_t>(s.rows[k]), s.calls, /*stream=*/0x5a, 0);
        const float u = rng.uniform();
        const float* p = s.probs.data() + k * a;
        float cdf = 0.f;  // if rounding leaves u above the last sum, the greedy action stays
        for (int j = 0; j < a; ++j) {
          cdf += p[j];
          if (u < cdf && p[j] > 0.f) {
            s.actions[k] = j;
            break;
          }
        }
      }
      ++s.calls;
    }
    for (int64_t k = 0; k < n; ++k) actions[s.rows[k]] = s.actions[k];
  };
}

}  // namespace mecrl::app
