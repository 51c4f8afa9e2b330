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
// The groups step on one device, CPU or GPU; the padded buffers live there
// too and are gathered with one strided copy per buffer and group
// (envs/device_ops.h: memcpy on the host, cudaMemcpy2DAsync on the
// groups' stream on a GPU), so nothing leaves the device between steps.
#pragma once

#include <memory>
#include <vector>

#include "envs/device_ops.h"
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
  // groups: batches of one scenario on one device, equal in features,
  // actions, costs and info (std::invalid_argument otherwise); ops: memory
  // operations on that device (host_device_ops() or cuda::device_ops()).
  explicit PopulationEnv(std::vector<std::unique_ptr<VecEnv>> groups, const DeviceOps& ops = host_device_ops());

  const EnvDims& dims() const override { return dims_; }
  Device device() const override { return device_; }
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
  void set_stream(void* stream) override;
  void synchronize() const override;
  int32_t* action_buffer() override { return actions_.get(); }
  void copy_buffers_to_host(std::vector<uint8_t>& bytes) const override;
  void copy_events_to_host(std::vector<uint8_t>& bytes) const override { bytes.clear(); }

  int groups() const { return static_cast<int>(groups_.size()); }
  VecEnv& group(int g) { return *groups_[g]; }

 private:
  struct Free {
    void (*free)(void*);
    void operator()(void* p) const { free(p); }
  };
  template <class T>
  using DevicePtr = std::unique_ptr<T, Free>;
  template <class T>
  DevicePtr<T> alloc(size_t count) const;

  void gather();  // every group's buffers into the padded ones
  // Group g's rows of an [E, U] action batch <-> its own [E_g, N_g] batch.
  void scatter(const int32_t* actions, int g, int32_t* out) const;
  void unscatter(const int32_t* group_actions, int g, int32_t* actions) const;

  std::vector<std::unique_ptr<VecEnv>> groups_;
  DeviceOps ops_;
  Device device_ = Device::Cpu;
  void* stream_ = nullptr;            // CUDA stream of the groups and the copies (GPU only)
  std::vector<int> first_env_;        // [G] index of group g's env 0 in the batch
  EnvDims dims_;
  size_t bytes_ = 0;
  DevicePtr<uint8_t> memory_;         // the padded StepBuffers (StepBuffers::visit layout), on device_
  StepBuffers buf_;
  DevicePtr<int32_t> actions_;        // [E, U] the evaluation loop's action buffer, on device_
  DevicePtr<int32_t> group_actions_;  // [max_g E_g N_g] one group's actions, on device_
};

}  // namespace mecrl
