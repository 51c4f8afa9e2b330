#include "agents/gae.h"

#include "agents/torch_cuda.h"
#include "cuda/gae.h"

namespace mecrl::agents {

namespace {
torch::Tensor flags_u8(const torch::Tensor& f) { return f.to(torch::kUInt8).contiguous(); }
}  // namespace

GaeResult compute_gae(const torch::Tensor& rewards, const torch::Tensor& values, const torch::Tensor& last_value,
                      const torch::Tensor& terminated, const torch::Tensor& truncated,
                      const torch::Tensor& trunc_value, double gamma, double lambda,
                      const torch::Tensor& lambda_next) {
  torch::NoGradGuard no_grad;
  const int64_t T = rewards.size(0), envs = terminated.size(1);
  const auto f32 = [](const torch::Tensor& t) { return t.to(torch::kFloat32).contiguous(); };
  const auto r = f32(rewards), v = f32(values), last = f32(last_value), tv = f32(trunc_value);
  const auto term = flags_u8(terminated), trunc = flags_u8(truncated);
  torch::Tensor lam;
  if (lambda_next.defined()) lam = f32(lambda_next.expand_as(rewards));
  GaeResult out{torch::empty_like(r), torch::empty_like(r)};
  gae::Args a;
  a.rewards = r.data_ptr<float>();
  a.values = v.data_ptr<float>();
  a.last_value = last.data_ptr<float>();
  a.terminated = term.data_ptr<uint8_t>();
  a.truncated = trunc.data_ptr<uint8_t>();
  a.trunc_value = tv.data_ptr<float>();
  a.lambda_next = lam.defined() ? lam.data_ptr<float>() : nullptr;
  a.advantages = out.advantages.data_ptr<float>();
  a.returns = out.returns.data_ptr<float>();
  a.steps = static_cast<int>(T);
  a.cols = T > 0 ? r.numel() / T : 0;
  a.per_env = envs > 0 ? a.cols / envs : 1;
  a.gamma = static_cast<float>(gamma);
  a.lambda = static_cast<float>(lambda);
  if (r.is_cuda()) {
    gae::run_cuda(a, current_stream(r.device()));
  } else {
    gae::run_cpu(a);
  }
  return out;
}

}  // namespace mecrl::agents
