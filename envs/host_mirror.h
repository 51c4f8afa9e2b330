// The step buffers (HostBuffers) and the scenario's events (HostMirror<Sc>)
// of a batched env, readable on the host after every step whatever the
// backend, so one evaluation loop (envs/*/evaluate.cpp,
// envs/episode_returns.cpp) serves the CPU and the GPU.
//
// A CPU env is read in place. Any other (the CUDA backend) is copied: its
// buffer and event allocations come over byte for byte
// (VecEnv::copy_*_to_host) and the views are carved over the copies by the
// same SoaArena walk that laid them out on the device, so every pointer lands
// on the same field.
#pragma once

#include <cstdint>
#include <vector>

#include "core/soa.h"
#include "envs/cpu_exec.h"
#include "envs/scenario_env.h"

namespace mecrl {

class HostBuffers {
 public:
  explicit HostBuffers(const VecEnv& env) : dims_(env.dims()), in_place_(env.device() == Device::Cpu) {}

  // Call after each step; the views stay valid until the next refresh.
  void refresh(const VecEnv& env) {
    if (in_place_) {
      buf_ = env.buffers();
      return;
    }
    const bool first = bytes_.empty();
    env.copy_buffers_to_host(bytes_);
    if (first) {  // the copy keeps its size, so its address: carve once
      SoaArena arena(SoaLayout{}, bytes_.data());  // the buffers' sizes come from dims, not the layout
      buf_.visit(arena, dims_);
    }
  }
  const StepBuffers& buffers() const { return buf_; }

 private:
  EnvDims dims_;
  bool in_place_;
  std::vector<uint8_t> bytes_;
  StepBuffers buf_{};
};

template <class Sc>
class HostMirror {
 public:
  using Events = typename Sc::Events;

  HostMirror(const typename Sc::Params& p, const VecEnv& env)
      : p_(p), num_envs_(env.dims().num_envs), buffers_(env),
        in_place_(dynamic_cast<const ScenarioEnv<Sc, CpuExec>*>(&env)) {}

  void refresh(const VecEnv& env) {
    buffers_.refresh(env);
    if (in_place_) {
      ev_ = in_place_->events();
      return;
    }
    const bool first = ev_bytes_.empty();
    env.copy_events_to_host(ev_bytes_);
    if (first && !ev_bytes_.empty()) {
      SoaArena arena(Sc::layout(p_, num_envs_), ev_bytes_.data());
      Sc::visit_events(ev_, arena, p_, num_envs_);
    }
  }

  const StepBuffers& buffers() const { return buffers_.buffers(); }
  const Events& events() const { return ev_; }

 private:
  typename Sc::Params p_;
  int num_envs_;
  HostBuffers buffers_;
  const ScenarioEnv<Sc, CpuExec>* in_place_;
  std::vector<uint8_t> ev_bytes_;
  Events ev_{};
};

}  // namespace mecrl
