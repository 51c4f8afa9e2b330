#include "envs/population_env.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "core/soa.h"

namespace mecrl {
namespace {

// Copies `rows` rows of `width` elements from a group env's block into the
// padded block (the padding rows after them stay as they were: zero).
template <class T>
void copy_rows(T* dst, const T* src, size_t rows, size_t width) {
  std::memcpy(dst, src, rows * width * sizeof(T));
}

}  // namespace

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

PopulationEnv::PopulationEnv(std::vector<std::unique_ptr<VecEnv>> groups) : groups_(std::move(groups)) {
  if (groups_.empty()) throw std::invalid_argument("PopulationEnv: no groups");
  const EnvDims& d0 = groups_.front()->dims();
  dims_ = d0;
  dims_.num_envs = 0;
  dims_.users = 0;
  for (const auto& g : groups_) {
    const EnvDims& d = g->dims();
    if (g->device() != Device::Cpu) throw std::invalid_argument("PopulationEnv: groups must step on the CPU");
    if (g->scenario() != groups_.front()->scenario() || d.features != d0.features || d.actions != d0.actions ||
        d.costs != d0.costs || d.info != d0.info) {
      throw std::invalid_argument("PopulationEnv: groups differ in scenario, features, actions, costs or info");
    }
    first_env_.push_back(dims_.num_envs);
    dims_.num_envs += d.num_envs;
    dims_.users = std::max(dims_.users, d.users);
  }
  SoaArena measure(SoaLayout{}, nullptr);
  buf_.visit(measure, dims_);
  memory_.assign(measure.bytes(), 0);
  SoaArena carve(SoaLayout{}, memory_.data());
  buf_.visit(carve, dims_);
  // Padded users: every action allowed (they never decide, so it is never asked).
  std::fill_n(buf_.action_mask, static_cast<size_t>(dims_.num_envs) * dims_.users * dims_.actions, uint8_t{1});
  actions_.assign(static_cast<size_t>(dims_.num_envs) * dims_.users, 0);
  gather();
}

void PopulationEnv::gather() {
  const size_t U = dims_.users, F = dims_.features, A = dims_.actions, C = dims_.costs, I = dims_.info;
  for (size_t g = 0; g < groups_.size(); ++g) {
    const StepBuffers& b = groups_[g]->buffers();
    const size_t Eg = groups_[g]->dims().num_envs, N = groups_[g]->dims().users, e0 = first_env_[g];
    for (size_t e = 0; e < Eg; ++e) {  // per-user rows: the first N of U
      const size_t to = (e0 + e) * U, from = e * N;
      copy_rows(buf_.obs + to * F, b.obs + from * F, N, F);
      copy_rows(buf_.final_obs + to * F, b.final_obs + from * F, N, F);
      copy_rows(buf_.active + to, b.active + from, N, 1);
      copy_rows(buf_.action_mask + to * A, b.action_mask + from * A, N, A);
      copy_rows(buf_.reward_user + to, b.reward_user + from, N, 1);
      copy_rows(buf_.costs_user + to * C, b.costs_user + from * C, N, C);
    }
    // Per-env values: one contiguous block per group.
    copy_rows(buf_.reward + e0, b.reward, Eg, 1);
    copy_rows(buf_.costs + e0 * C, b.costs, Eg, C);
    copy_rows(buf_.terminated + e0, b.terminated, Eg, 1);
    copy_rows(buf_.truncated + e0, b.truncated, Eg, 1);
    copy_rows(buf_.decisions + e0, b.decisions, Eg, 1);
    copy_rows(buf_.ep_return + e0, b.ep_return, Eg, 1);
    copy_rows(buf_.ep_length + e0, b.ep_length, Eg, 1);
    copy_rows(buf_.ep_costs + e0 * C, b.ep_costs, Eg, C);
    copy_rows(buf_.ep_info + e0 * I, b.ep_info, Eg, I);
  }
}

void PopulationEnv::scatter(const int32_t* actions, int g, int32_t* out) const {
  const size_t U = dims_.users, N = groups_[g]->dims().users, e0 = first_env_[g];
  for (size_t e = 0; e < static_cast<size_t>(groups_[g]->dims().num_envs); ++e) {
    std::memcpy(out + e * N, actions + (e0 + e) * U, N * sizeof(int32_t));
  }
}

void PopulationEnv::reset_all() {
  for (auto& g : groups_) g->reset_all();
  gather();
}

void PopulationEnv::step(const int32_t* actions) {
  for (size_t g = 0; g < groups_.size(); ++g) {
    const EnvDims& d = groups_[g]->dims();
    group_actions_.resize(static_cast<size_t>(d.num_envs) * d.users);
    scatter(actions, static_cast<int>(g), group_actions_.data());
    groups_[g]->step(group_actions_.data());
  }
  gather();
}

void PopulationEnv::act_baseline(const std::string& name, int32_t* actions) {
  std::fill_n(actions, static_cast<size_t>(dims_.num_envs) * dims_.users, 0);
  const size_t U = dims_.users;
  for (size_t g = 0; g < groups_.size(); ++g) {
    const EnvDims& d = groups_[g]->dims();
    group_actions_.resize(static_cast<size_t>(d.num_envs) * d.users);
    groups_[g]->act_baseline(name, group_actions_.data());
    for (size_t e = 0; e < static_cast<size_t>(d.num_envs); ++e) {
      std::memcpy(actions + (first_env_[g] + e) * U, group_actions_.data() + e * d.users, d.users * sizeof(int32_t));
    }
  }
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
