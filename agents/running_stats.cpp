#include "agents/running_stats.h"

namespace mecrl::agents {

RunningMeanStdImpl::RunningMeanStdImpl(int64_t features) {
  mean = register_buffer("mean", torch::zeros({features}, torch::kFloat64));
  var = register_buffer("var", torch::ones({features}, torch::kFloat64));
  count = register_buffer("count", torch::full({}, 1e-4, torch::kFloat64));
}

void RunningMeanStdImpl::update(const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  const auto flat = x.reshape({-1, mean.size(0)}).to(torch::kFloat64);
  const auto n = static_cast<double>(flat.size(0));
  if (n == 0) return;
  const auto batch_mean = flat.mean(0);
  const auto batch_var = flat.var(0, /*unbiased=*/false);
  const auto total = count + n;
  const auto delta = batch_mean - mean;
  const auto m2 = var * count + batch_var * n + delta.pow(2) * count * n / total;
  mean.add_(delta * n / total);
  var.copy_(m2 / total);
  count.copy_(total);
}

torch::Tensor RunningMeanStdImpl::normalize(const torch::Tensor& x, double clip, double eps) const {
  const auto m = mean.to(x.dtype()), s = (var + eps).sqrt().to(x.dtype());
  return ((x - m) / s).clamp(-clip, clip);
}

ReturnScalerImpl::ReturnScalerImpl(int64_t envs, int64_t streams, double gamma_) : gamma(gamma_) {
  returns = register_buffer("returns", torch::zeros({envs, streams}, torch::kFloat64));
  stats = register_module("stats", RunningMeanStd(streams));
}

torch::Tensor ReturnScalerImpl::scale(const torch::Tensor& r, const torch::Tensor& done) {
  torch::NoGradGuard no_grad;
  returns.copy_(returns * gamma + r.to(torch::kFloat64));
  stats->update(returns);
  const auto out = r / (stats->var + 1e-8).sqrt().to(r.dtype());
  returns.masked_fill_(done.unsqueeze(-1).to(torch::kBool), 0.0);
  return out;
}

}  // namespace mecrl::agents
