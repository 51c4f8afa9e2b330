#include "agents/distributed.h"

#include <cstring>

#include "agents/process_group.h"

namespace mecrl::agents {

Communicator::Communicator(const DistEnv& d, double timeout_s, const torch::Device& device) : env_(d) {
  if (d.distributed()) group_ = pg::open(d, timeout_s, device);
}

namespace {

// `t` where g's collectives run (Gloo: the host, NCCL: the rank's GPU),
// contiguous; `t` itself when it is there already.
torch::Tensor at_group(pg::Group& g, const torch::Tensor& t) {
  return t.to(pg::device(g)).contiguous();
}

void reduce(pg::Group& g, torch::Tensor& t, pg::Op op) {
  auto there = at_group(g, t);
  pg::all_reduce(g, there, op);
  if (!there.is_same(t)) t.copy_(there);
}

// A small host tensor of rank 0's values (a size, a flag, bytes) on every rank.
torch::Tensor broadcast_host(pg::Group& g, const torch::Tensor& host) {
  auto there = at_group(g, host);
  pg::broadcast(g, there, 0);
  return there.to(torch::kCPU);
}

}  // namespace

void Communicator::average_gradients(const std::vector<torch::Tensor>& params) {
  if (!group_) return;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> flat;
  flat.reserve(params.size());
  for (const auto& p : params) {
    flat.push_back(p.grad().defined() ? p.grad().reshape({-1}) : torch::zeros({p.numel()}, p.options()));
  }
  auto buf = torch::cat(flat);  // [sum of numel], the parameters' dtype
  reduce(*group_, buf, pg::Op::Sum);
  buf.div_(static_cast<double>(env_.world_size));
  int64_t at = 0;
  for (const auto& p : params) {
    const auto part = buf.narrow(0, at, p.numel()).view(p.sizes());
    if (p.grad().defined()) {
      p.mutable_grad().copy_(part);
    } else {
      p.mutable_grad() = part.clone();
    }
    at += p.numel();
  }
}

void Communicator::sum(torch::Tensor& t) {
  if (group_) reduce(*group_, t, pg::Op::Sum);
}

void Communicator::max(torch::Tensor& t) {
  if (group_) reduce(*group_, t, pg::Op::Max);
}

torch::Tensor Communicator::mean(const torch::Tensor& t) {
  if (!group_) return t;
  auto s = t.detach().clone();
  sum(s);
  return s / static_cast<double>(env_.world_size);
}

void Communicator::broadcast(const std::vector<torch::Tensor>& tensors) {
  if (!group_) return;
  torch::NoGradGuard no_grad;
  for (const auto& t : tensors) {
    auto there = at_group(*group_, t);
    if (there.is_same(t)) there = there.clone();  // t may be a view of a parameter: broadcast a copy
    pg::broadcast(*group_, there, 0);
    t.copy_(there);
  }
}

std::string Communicator::broadcast_string(const std::string& from_rank0) {
  if (!group_) return from_rank0;
  const auto n = broadcast_host(*group_, torch::full({1}, static_cast<int64_t>(from_rank0.size()), torch::kInt64));
  auto mine = torch::zeros({n.item<int64_t>()}, torch::kUInt8);
  if (env_.rank == 0) std::memcpy(mine.data_ptr(), from_rank0.data(), from_rank0.size());
  const auto bytes = broadcast_host(*group_, mine);
  return std::string(reinterpret_cast<const char*>(bytes.data_ptr()), static_cast<size_t>(bytes.numel()));
}

bool Communicator::broadcast_flag(bool from_rank0) {
  if (!group_) return from_rank0;
  return broadcast_host(*group_, torch::full({1}, from_rank0 ? 1 : 0, torch::kInt32)).item<int>() != 0;
}

std::vector<std::string> Communicator::all_gather_bytes(const std::string& mine) {
  if (!group_) return {mine};
  // Sizes first (all-gather needs one shape), then the bytes padded to the longest.
  auto gather = [&](const torch::Tensor& host) {
    auto parts = pg::all_gather(*group_, at_group(*group_, host));
    for (auto& p : parts) p = p.to(torch::kCPU);
    return parts;
  };
  const auto sizes = gather(torch::full({1}, static_cast<int64_t>(mine.size()), torch::kInt64));
  int64_t longest = 0;
  for (const auto& s : sizes) longest = std::max(longest, s.item<int64_t>());
  auto buf = torch::zeros({longest}, torch::kUInt8);
  std::memcpy(buf.data_ptr(), mine.data(), mine.size());
  const auto all = gather(buf);
  std::vector<std::string> out;
  for (size_t r = 0; r < all.size(); ++r) {
    out.emplace_back(reinterpret_cast<const char*>(all[r].data_ptr()), static_cast<size_t>(sizes[r].item<int64_t>()));
  }
  return out;
}

}  // namespace mecrl::agents
