// LibTorch's outputs for an exported policy's tests: the trainer's own
// forward (agents/policy.h: ActorCritic::logits) on observations that the
// deployment runtime (C ABI, ctypes) and ONNX Runtime must reproduce.
//
//   mecrl_policy_reference <checkpoint> <config.yaml> <out.safetensors> [random_rows] [recorded_rows]
//
// Writes, for set in {random, recorded}:
//   <set>.obs      [N, F] float32  random: N(0, 3^2) per feature; recorded: the
//                                  decision rows of the run's env, acting greedily
//   <set>.mask     [N, A] uint8    random: each action allowed with p 0.8;
//                                  recorded: the env's action mask
//   <set>.logits   [N, A] float32  masked logits (forbidden: -1e8)
//   <set>.probs    [N, A] float32  the acting distribution: softmax of the logits,
//                                  mixed with the exploration floor when it is on
//   <set>.actions  [N] int64       argmax of the logits
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "agents/api.h"
#include "agents/checkpoint.h"
#include "agents/policy.h"
#include "apps/env_factory.h"
#include "core/config.h"
#include "core/safetensors.h"

namespace {

using namespace mecrl;

// Decision rows of the run's env while the checkpoint's greedy policy acts.
void record(const std::string& checkpoint, const std::string& config, int64_t rows, std::vector<float>& obs,
            std::vector<uint8_t>& mask) {
  const Config cfg = Config::load(config);
  ConfigReader r(cfg);
  const app::EnvFactory factory = app::read_env_factory(r);
  auto env = factory.make(8, Device::Cpu, 1);
  const ActFn act = agents::load_policy(checkpoint, /*deterministic=*/true);
  const EnvDims& d = env->dims();
  env->reset_all();
  std::vector<int32_t> actions(static_cast<size_t>(d.num_envs) * d.users);
  for (long step = 0; static_cast<int64_t>(obs.size()) < rows * d.features; ++step) {
    if (step > 10'000'000) throw std::runtime_error("the env produced too few decisions to record");
    const StepBuffers& b = env->buffers();
    for (int64_t k = 0; k < int64_t{d.num_envs} * d.users && static_cast<int64_t>(obs.size()) < rows * d.features; ++k) {
      if (!b.active[k]) continue;
      obs.insert(obs.end(), b.obs + k * d.features, b.obs + (k + 1) * d.features);
      mask.insert(mask.end(), b.action_mask + k * d.actions, b.action_mask + (k + 1) * d.actions);
    }
    act(*env, actions.data());
    env->step(actions.data());
  }
}

void add_set(std::map<std::string, TensorBlob>& out, const std::string& set, agents::ActorCritic& policy,
             const torch::Tensor& obs, const torch::Tensor& mask) {
  torch::NoGradGuard no_grad;
  const auto logits = policy->logits(obs, mask.to(torch::kBool)).contiguous();
  const auto dist = policy->dist_logits(obs, mask.to(torch::kBool));  // with the exploration floor
  out[set + ".obs"] = agents::to_blob(obs);
  out[set + ".mask"] = agents::to_blob(mask);
  out[set + ".logits"] = agents::to_blob(logits);
  out[set + ".probs"] = agents::to_blob(torch::softmax(dist, -1).contiguous());
  out[set + ".actions"] = agents::to_blob(logits.argmax(-1));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4 || argc > 6) {
    std::fprintf(stderr, "usage: %s <checkpoint> <config.yaml> <out.safetensors> [random_rows] [recorded_rows]\n",
                 argv[0]);
    return 2;
  }
  try {
    const std::string checkpoint = argv[1], config = argv[2], out_path = argv[3];
    const int64_t random_rows = argc > 4 ? std::stoll(argv[4]) : 10000;
    const int64_t recorded_rows = argc > 5 ? std::stoll(argv[5]) : 10000;
    const agents::CheckpointData data = agents::load_checkpoint(checkpoint);
    const agents::PolicySpec spec = agents::spec_from_json(data.trainer.at("policy_spec"), checkpoint);
    agents::ActorCritic policy(spec);
    agents::load_module_tensors(*policy, data.model, "policy.", checkpoint);
    policy->eval();

    std::map<std::string, TensorBlob> out;
    torch::manual_seed(20240611);
    const auto obs = torch::randn({random_rows, spec.features}) * 3.0;
    const auto mask = (torch::rand({random_rows, spec.actions}) < 0.8).to(torch::kUInt8);
    add_set(out, "random", policy, obs, mask);

    std::vector<float> rec_obs;
    std::vector<uint8_t> rec_mask;
    record(checkpoint, config, recorded_rows, rec_obs, rec_mask);
    add_set(out, "recorded", policy, torch::from_blob(rec_obs.data(), {recorded_rows, spec.features}).clone(),
            torch::from_blob(rec_mask.data(), {recorded_rows, spec.actions}, torch::kUInt8).clone());
    write_safetensors(out_path, out);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mecrl_policy_reference: %s\n", e.what());
    return 1;
  }
  return 0;
}
