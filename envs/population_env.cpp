#include "envs/population_env.h"

#include <algorithm>
#include <cstdlib>
#include <new>
#include <cstring>
#include <stdexcept>
#include <string>

#include "core/soa.h"

namespace mecrl {
namespace {

void* host_alloc(size_t bytes) { return bytes ? std::calloc(bytes, 1) : nullptr; }
void host_free(void* p) { std::free(p); }
void host_copy_2d(void* dst, size_t dpitch, const void* src, size_t spitch, size_t width, size_t rows, void*) {
  if (width == 0) return;  // a buffer of zero width (no costs, no info) may be null
  for (size_t r = 0; r < rows; ++r) {
    std::memcpy(static_cast<char*>(dst) + r * dpitch, static_cast<const char*>(src) + r * spitch, width);
  }
}
void host_fill(void* dst, uint8_t value, size_t bytes, void*) {
  if (bytes) std::memset(dst, value, bytes);
}
void host_to_host(void* dst, const void* src, size_t bytes, void*) {
  if (bytes) std::memcpy(dst, src, bytes);
}

}  // namespace

const DeviceOps& host_device_ops() {
  static const DeviceOps ops{host_alloc, host_free, host_copy_2d, host_fill, host_to_host};
  return ops;
}

std::vector<int> population_group_sizes(int groups, int num_envs) {
  std::vector<int> sizes(static_cast<size_t>(groups));
  for (int g = 0; g < groups; ++g) sizes[g] = num_envs / groups + (g < num_envs % groups ? 1 : 0);
  return sizes;
}

std::vector<uint8_t> population_present(const std::vector<int>& users, int num_envs) {
  const int U = *std::max_element(users.begin(), users.end());
  const std::vector<int> sizes = population_group_sizes(static_cast<int>(users.size()), num_envs);
  std::vector<uint8_t> present(static_cast<size_t>(num_envs) * U, 0);
  size_t e = 0;
  for (size_t g = 0; g < users.size(); ++g) {
    for (int k = 0; k < sizes[g]; ++k, ++e) std::fill_n(present.begin() + e * U, users[g], uint8_t{1});
  }
  return present;
}

template <class T>
PopulationEnv::DevicePtr<T> PopulationEnv::alloc(size_t count) const {
  void* p = ops_.alloc(count * sizeof(T));
  if (count && !p) throw std::bad_alloc();
  return DevicePtr<T>(static_cast<T*>(p), Free{ops_.free});
}

PopulationEnv::PopulationEnv(std::vector<std::unique_ptr<VecEnv>> groups, const DeviceOps& ops)
    : groups_(std::move(groups)), ops_(ops), memory_(nullptr, Free{ops.free}), actions_(nullptr, Free{ops.free}),
      group_actions_(nullptr, Free{ops.free}) {
  if (groups_.empty()) throw std::invalid_argument("PopulationEnv: no groups");
  const EnvDims& d0 = groups_.front()->dims();
  device_ = groups_.front()->device();
  dims_ = d0;
  dims_.num_envs = 0;
  dims_.users = 0;
  size_t most_actions = 0;
  for (const auto& g : groups_) {
    const EnvDims& d = g->dims();
    if (g->device() != device_) throw std::invalid_argument("PopulationEnv: groups step on different devices");
    if (g->scenario() != groups_.front()->scenario() || d.features != d0.features || d.actions != d0.actions ||
        d.costs != d0.costs || d.info != d0.info) {
      throw std::invalid_argument("PopulationEnv: groups differ in scenario, features, actions, costs or info");
    }
    first_env_.push_back(dims_.num_envs);
    dims_.num_envs += d.num_envs;
    dims_.users = std::max(dims_.users, d.users);
    most_actions = std::max(most_actions, static_cast<size_t>(d.num_envs) * d.users);
  }
  SoaArena measure(SoaLayout{}, nullptr);
  buf_.visit(measure, dims_);
  bytes_ = measure.bytes();
  memory_ = alloc<uint8_t>(bytes_);  // zeroed: padding rows stay zero
  SoaArena carve(SoaLayout{}, memory_.get());
  buf_.visit(carve, dims_);
  // Padded users: every action allowed (they never decide, so it is never asked).
  ops_.fill(buf_.action_mask, 1, static_cast<size_t>(dims_.num_envs) * dims_.users * dims_.actions, stream_);
  actions_ = alloc<int32_t>(static_cast<size_t>(dims_.num_envs) * dims_.users);
  group_actions_ = alloc<int32_t>(most_actions);
  gather();
}

void PopulationEnv::gather() {
  // Per-user buffers: group env e's N rows land in rows 0..N-1 of padded env
  // e0 + e, i.e. a strided copy of E_g rows of N * width bytes, U * width
  // apart. Per-env buffers: one contiguous block per group.
  const size_t U = dims_.users, F = dims_.features, A = dims_.actions, C = dims_.costs, I = dims_.info;
  for (size_t g = 0; g < groups_.size(); ++g) {
    const StepBuffers& b = groups_[g]->buffers();
    const size_t Eg = groups_[g]->dims().num_envs, N = groups_[g]->dims().users, e0 = first_env_[g];
    auto users = [&](auto* dst, const auto* src, size_t width) {
      const size_t row = width * sizeof(*src);
      ops_.copy_2d(dst + e0 * U * width, U * row, src, N * row, N * row, Eg, stream_);
    };
    auto cells = [&](auto* dst, const auto* src, size_t width) {
      const size_t block = Eg * width * sizeof(*src);
      ops_.copy_2d(dst + e0 * width, block, src, block, block, 1, stream_);
    };
    users(buf_.obs, b.obs, F);
    users(buf_.final_obs, b.final_obs, F);
    users(buf_.active, b.active, 1);
    users(buf_.action_mask, b.action_mask, A);
    users(buf_.reward_user, b.reward_user, 1);
    users(buf_.costs_user, b.costs_user, C);
    cells(buf_.reward, b.reward, 1);
    cells(buf_.costs, b.costs, C);
    cells(buf_.terminated, b.terminated, 1);
    cells(buf_.truncated, b.truncated, 1);
    cells(buf_.decisions, b.decisions, 1);
    cells(buf_.ep_return, b.ep_return, 1);
    cells(buf_.ep_length, b.ep_length, 1);
    cells(buf_.ep_costs, b.ep_costs, C);
    cells(buf_.ep_info, b.ep_info, I);
  }
}

void PopulationEnv::scatter(const int32_t* actions, int g, int32_t* out) const {
  const size_t U = dims_.users, N = groups_[g]->dims().users, e0 = first_env_[g];
  const size_t row = N * sizeof(int32_t);
  ops_.copy_2d(out, row, actions + e0 * U, U * sizeof(int32_t), row, groups_[g]->dims().num_envs, stream_);
}

void PopulationEnv::unscatter(const int32_t* group_actions, int g, int32_t* actions) const {
  const size_t U = dims_.users, N = groups_[g]->dims().users, e0 = first_env_[g];
  const size_t row = N * sizeof(int32_t);
  ops_.copy_2d(actions + e0 * U, U * sizeof(int32_t), group_actions, row, row, groups_[g]->dims().num_envs, stream_);
}

void PopulationEnv::reset_all() {
  for (auto& g : groups_) g->reset_all();
  gather();
}

// One scratch buffer serves every group: on a GPU the copies and the
// groups' kernels are queued on one stream, so group g + 1's actions are
// written only after group g's step has read its own.
void PopulationEnv::step(const int32_t* actions) {
  for (size_t g = 0; g < groups_.size(); ++g) {
    scatter(actions, static_cast<int>(g), group_actions_.get());
    groups_[g]->step(group_actions_.get());
  }
  gather();
}

void PopulationEnv::act_baseline(const std::string& name, int32_t* actions) {
  ops_.fill(actions, 0, static_cast<size_t>(dims_.num_envs) * dims_.users * sizeof(int32_t), stream_);
  for (size_t g = 0; g < groups_.size(); ++g) {
    groups_[g]->act_baseline(name, group_actions_.get());
    unscatter(group_actions_.get(), static_cast<int>(g), actions);
  }
}

void PopulationEnv::set_stream(void* stream) {
  stream_ = stream;
  for (auto& g : groups_) g->set_stream(stream);
}

void PopulationEnv::synchronize() const {
  for (const auto& g : groups_) g->synchronize();
}

void PopulationEnv::copy_buffers_to_host(std::vector<uint8_t>& bytes) const {
  bytes.resize(bytes_);
  ops_.to_host(bytes.data(), memory_.get(), bytes_, stream_);
}

std::vector<uint8_t> PopulationEnv::save_state() const {
  std::vector<uint8_t> out;
  for (const auto& g : groups_) {
    const std::vector<uint8_t> s = g->save_state();
    const uint64_t n = s.size();
    const auto* p = reinterpret_cast<const uint8_t*>(&n);
    out.insert(out.end(), p, p + sizeof n);
    out.insert(out.end(), s.begin(), s.end());
  }
  return out;
}

void PopulationEnv::load_state(const std::vector<uint8_t>& bytes) {
  // Split first, then load every group; a group that refuses its bytes
  // leaves the others as they were (the earlier ones are restored).
  std::vector<std::vector<uint8_t>> parts;
  size_t at = 0;
  for (size_t g = 0; g < groups_.size(); ++g) {
    uint64_t n = 0;
    if (bytes.size() - at < sizeof n) throw EnvStateError("population state truncated before group " + std::to_string(g));
    std::memcpy(&n, bytes.data() + at, sizeof n);
    at += sizeof n;
    if (bytes.size() - at < n) throw EnvStateError("population state truncated in group " + std::to_string(g));
    parts.emplace_back(bytes.begin() + static_cast<std::ptrdiff_t>(at), bytes.begin() + static_cast<std::ptrdiff_t>(at + n));
    at += n;
  }
  if (at != bytes.size()) throw EnvStateError("population state has " + std::to_string(bytes.size() - at) + " bytes too many");
  std::vector<std::vector<uint8_t>> before;
  for (auto& g : groups_) before.push_back(g->save_state());
  for (size_t g = 0; g < groups_.size(); ++g) {
    try {
      groups_[g]->load_state(parts[g]);
    } catch (...) {
      for (size_t k = 0; k < g; ++k) groups_[k]->load_state(before[k]);
      throw;
    }
  }
  gather();
}

}  // namespace mecrl
