// One batch of envs over several populations (train.num_users): G groups,
// group g a batch of E_g envs with N_g users each, shown to a learner as one
// VecEnv of E = sum E_g envs with U = max N_g users. Env e of group g keeps
// its N_g users in rows 0..N_g-1; rows N_g..U-1 are padding that never
// decides: all-zero observations, rewards and costs, every action allowed
// (never asked). Cell quantities (team reward, costs, termination, episode
// statistics) are the group env's own, so GAE and the Lagrangian's per-cell
// costs see exactly what the separate envs produce.
//
// Why padding rather than ragged rows: the learner's rollout, critic pass,
// GAE kernel and CUDA graph are written for dense [T, E, U] tensors with
// fixed shapes; a fixed padded layout keeps all of them as they are, at the
// cost of the padded rows' share of the critic pass (the actor runs on
// deciders only, so padding costs it nothing). The learner leaves padded
// rows out of the value loss (population_present).
//
// Host (CPU) groups only: the step buffers are gathered with memcpy.
#pragma once

#include <memory>
#include <vector>

#include "envs/vec_env.h"

namespace mecrl {

// Envs per group: num_envs split over `groups` as evenly as possible (the
// first num_envs % groups groups get one env more), groups in list order.
std::vector<int> population_group_sizes(int groups, int num_envs);
// [E * U] 1 where env e (groups contiguous, in list order) has user u, for
// U = max(users): the layout PopulationEnv presents.
std::vector<uint8_t> population_present(const std::vector<int>& users, int num_envs);

class PopulationEnv final : public VecEnv {
 public:
  // groups: CPU batches of one scenario, equal in features, actions, costs
  // and info (std::invalid_argument otherwise).
  explicit PopulationEnv(std::vector<std::unique_ptr<VecEnv>> groups);

  const EnvDims& dims() const override { return dims_; }
  Device device() const override { return Device::Cpu; }
  std::string scenario() const override { return groups_.front()->scenario(); }
  void reset_all() override;
  void step(const int32_t* actions) override;
  const StepBuffers& buffers() const override { return buf_; }
  std::vector<std::string> cost_names() const override { return groups_.front()->cost_names(); }
  std::vector<std::string> info_names() const override { return groups_.front()->info_names(); }
  std::vector<std::string> baseline_names() const override { return groups_.front()->baseline_names(); }
  void act_baseline(const std::string& name, int32_t* actions) override;
  // The groups' states one after the other, each preceded by its size (u64).
  std::vector<uint8_t> save_state() const override;
  void load_state(const std::vector<uint8_t>& bytes) override;
  void synchronize() const override {}
  int32_t* action_buffer() override { return actions_.data(); }
  void copy_buffers_to_host(std::vector<uint8_t>& bytes) const override { bytes = memory_; }
  void copy_events_to_host(std::vector<uint8_t>& bytes) const override { bytes.clear(); }

  int groups() const { return static_cast<int>(groups_.size()); }
  VecEnv& group(int g) { return *groups_[g]; }

 private:
  void gather();                                        // every group's buffers into the padded ones
  void scatter(const int32_t* actions, int g, int32_t* out) const;  // [E, U] -> group g's [E_g, N_g]

  std::vector<std::unique_ptr<VecEnv>> groups_;
  std::vector<int> first_env_;        // [G] index of group g's env 0 in the batch
  EnvDims dims_;
  std::vector<uint8_t> memory_;       // the padded StepBuffers (StepBuffers::visit layout)
  StepBuffers buf_;
  std::vector<int32_t> actions_;      // [E, U] the evaluation loop's action buffer
  std::vector<int32_t> group_actions_;  // [E_g, N_g] scratch for one group
};

}  // namespace mecrl
