// The C ABI of mecrl_policy.h over BundlePolicy: no exception crosses it.
#include "deploy/mecrl_policy.h"

#include <exception>
#include <stdexcept>
#include <string>

#include "deploy/policy_runtime.h"

struct mecrl_policy {
  mecrl::deploy::BundlePolicy policy;
};

namespace {

thread_local std::string last_error;

// Runs f; on an exception stores its message and returns false.
template <class F>
bool guarded(F&& f) {
  try {
    f();
    last_error.clear();
    return true;
  } catch (const std::exception& e) {
    last_error = e.what();
  } catch (...) {
    last_error = "mecrl_policy: unknown error";
  }
  return false;
}

}  // namespace

extern "C" {

mecrl_policy* mecrl_policy_load(const char* bundle_dir) {
  mecrl_policy* out = nullptr;
  guarded([&] {
    if (!bundle_dir) throw std::invalid_argument("mecrl_policy_load: bundle_dir is NULL");
    out = new mecrl_policy{mecrl::deploy::BundlePolicy::load(bundle_dir)};
  });
  return out;
}

int mecrl_policy_act(const mecrl_policy* policy, const float* obs, const uint8_t* action_mask, int64_t batch,
                     int32_t* actions, float* probs) {
  const bool ok = guarded([&] {
    if (!policy) throw std::invalid_argument("mecrl_policy_act: policy is NULL");
    if (batch < 0) throw std::invalid_argument("mecrl_policy_act: batch is negative");
    if (batch == 0) return;  // nothing to decide; empty buffers may be NULL
    if (!obs) throw std::invalid_argument("mecrl_policy_act: obs is NULL");
    if (!actions && !probs) throw std::invalid_argument("mecrl_policy_act: both actions and probs are NULL");
    policy->policy.act(obs, action_mask, batch, probs, actions);
  });
  return ok ? 0 : -1;
}

int mecrl_policy_features(const mecrl_policy* policy) {
  return policy ? static_cast<int>(policy->policy.features()) : 0;
}

int mecrl_policy_actions(const mecrl_policy* policy) { return policy ? static_cast<int>(policy->policy.actions()) : 0; }

const char* mecrl_policy_scenario(const mecrl_policy* policy) {
  return policy ? policy->policy.scenario().c_str() : "";
}

void mecrl_policy_free(mecrl_policy* policy) { delete policy; }

const char* mecrl_policy_last_error(void) { return last_error.c_str(); }

}  // extern "C"
