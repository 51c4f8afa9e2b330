#include "agents/running_stats.h"

namespace mecrl::agents {

RunningMeanStdImpl::RunningMeanStdImpl(int64_t features) {
  mean = register_buffer("mean", torch::zeros({features}, torch::kFloat64));
  var = register_buffer("var", torch::ones({features}, torch::kFloat64));
  count = register_buffer("count", torch::full({}, 1e-4, torch::kFloat64));
}

namespace {

// The batch's count, mean and (biased) variance over every rank's rows:
// sum and count first, then the spread around the global mean (two passes,
// as var() computes it on one rank).
std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> merged_moments(const torch::Tensor& flat, Communicator& comm) {
  const int64_t F = flat.size(1);
  auto head = torch::cat({flat.sum(0), torch::full({1}, static_cast<double>(flat.size(0)), flat.options())});  // [F + 1]
  comm.sum(head);
  const auto n = head.narrow(0, F, 1).squeeze(0);
  const auto batch_mean = head.narrow(0, 0, F) / n.clamp_min(1);
  auto m2 = (flat - batch_mean).pow(2).sum(0);  // [F]
  comm.sum(m2);
  return {n, batch_mean, m2 / n.clamp_min(1)};
}

}  // namespace

void RunningMeanStdImpl::update(const torch::Tensor& x, Communicator* comm) {
  torch::NoGradGuard no_grad;
  const auto flat = x.reshape({-1, mean.size(0)}).to(torch::kFloat64);
  torch::Tensor n, batch_mean, batch_var;  // [], [F], [F]
  if (comm && comm->active()) {
    std::tie(n, batch_mean, batch_var) = merged_moments(flat, *comm);  // n = 0 on every rank leaves all as is
  } else {
    if (flat.size(0) == 0) return;
    n = torch::full({}, static_cast<double>(flat.size(0)), flat.options());
    batch_mean = flat.mean(0);
    batch_var = flat.var(0, /*unbiased=*/false);
  }
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
  stats->update(returns, comm);
  const auto out = apply(r);
  returns.masked_fill_(done.unsqueeze(-1).to(torch::kBool), 0.0);
  return out;
}

torch::Tensor ReturnScalerImpl::apply(const torch::Tensor& r) const {
  return r / (stats->var + 1e-8).sqrt().to(r.dtype());
}

}  // namespace mecrl::agents
