// ScenarioEnv<Sc, Exec>: the one VecEnv implementation, for any scenario Sc
// on any executor Exec (envs/cpu_exec.h, cuda/cuda_exec.cuh).
//
// A scenario provides Params, State (SoA pointers with visit()), Events,
// team_config(p) (core/team.h), and MECRL_HD functions written for a team of
// lanes stepping one env: reset(team, p, s, out, e), step(team, p, s,
// actions, out, ev, e); and act(policy, p, s, e, actions), one thread per env.
// The executor provides memory, teams (for_each_team) and a parallel for
// over env indices (for_each). Must stay includable from nvcc: no fmt, no
// yaml, no torch.
#pragma once

#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/team.h"
#include "envs/check_state.h"
#include "envs/vec_env.h"

namespace mecrl {

template <class Sc>
struct ResetFn {
  typename Sc::Params p;
  typename Sc::State s;
  StepBuffers out;
  template <class Team>
  MECRL_HD void operator()(const Team& team, int e) const {
    Sc::reset(team, p, s, out, e);
  }
};

template <class Sc>
struct StepFn {
  typename Sc::Params p;
  typename Sc::State s;
  StepBuffers out;
  typename Sc::Events ev;
  const int32_t* actions;
  template <class Team>
  MECRL_HD void operator()(const Team& team, int e) const {
    Sc::step(team, p, s, actions, out, ev, e);
  }
};

template <class Sc>
struct BaselineFn {
  typename Sc::Params p;
  typename Sc::State s;
  int policy;
  int32_t* actions;
  MECRL_HD void operator()(int e) const { Sc::act(policy, p, s, e, actions); }
};

template <class Sc, class Exec>
class ScenarioEnv final : public VecEnv {
 public:
  using Params = typename Sc::Params;
  using State = typename Sc::State;
  using Events = typename Sc::Events;

  ScenarioEnv(const Params& p, int num_envs, Exec exec, bool with_events = false)
      : p_(p), exec_(exec), dims_(Sc::dims(p, num_envs)), team_(Sc::team_config(p)) {
    layout_ = Sc::layout(p, num_envs);
    state_.l = layout_;
    allocate(state_, state_mem_, state_bytes_, [&](auto& a) { state_.visit(a); });
    allocate(buf_, buf_mem_, buf_bytes_, [&](auto& a) { buf_.visit(a, dims_); });
    if (with_events) {
      allocate(ev_, ev_mem_, ev_bytes_, [&](auto& a) { Sc::visit_events(ev_, a, p_, num_envs); });
    }
    reset_all();
  }
  ~ScenarioEnv() override {
    exec_.free(state_mem_);
    exec_.free(buf_mem_);
    exec_.free(ev_mem_);
    exec_.free(act_mem_);
  }
  ScenarioEnv(const ScenarioEnv&) = delete;
  ScenarioEnv& operator=(const ScenarioEnv&) = delete;

  const EnvDims& dims() const override { return dims_; }
  Device device() const override { return exec_.device(); }
  std::string scenario() const override { return Sc::kName; }
  void reset_all() override { exec_.for_each_team(dims_.num_envs, team_, ResetFn<Sc>{p_, state_, buf_}); }
  void step(const int32_t* actions) override {
    exec_.for_each_team(dims_.num_envs, team_, StepFn<Sc>{p_, state_, buf_, ev_, actions});
  }
  const StepBuffers& buffers() const override { return buf_; }
  std::vector<std::string> cost_names() const override { return Sc::cost_names(); }
  std::vector<std::string> info_names() const override { return Sc::info_names(); }
  std::vector<std::string> baseline_names() const override { return Sc::baseline_names(); }
  void act_baseline(const std::string& name, int32_t* actions) override {
    exec_.for_each(dims_.num_envs, BaselineFn<Sc>{p_, state_, baseline_id(name), actions});
  }
  // State and step buffers (the current observation belongs to the state a
  // resumed run continues from).
  std::vector<uint8_t> save_state() const override {
    std::vector<uint8_t> bytes(state_bytes_ + buf_bytes_);
    exec_.to_host(bytes.data(), state_mem_, state_bytes_);
    exec_.to_host(bytes.data() + state_bytes_, buf_mem_, buf_bytes_);
    return bytes;
  }
  void load_state(const std::vector<uint8_t>& bytes) override {
    if (bytes.size() != state_bytes_ + buf_bytes_) {
      throw EnvStateError(std::string(Sc::kName) + " state of " + std::to_string(bytes.size()) + " bytes, expected " +
                          std::to_string(state_bytes_ + buf_bytes_) + " (another scenario, size or backend layout)");
    }
    const std::string problem = check_state_bytes<Sc>(p_, layout_, dims_, bytes.data(), state_bytes_, buf_bytes_);
    if (!problem.empty()) {
      throw EnvStateError(std::string("not a state the ") + Sc::kName + " dynamics can reach: " + problem);
    }
    exec_.from_host(state_mem_, bytes.data(), state_bytes_);
    exec_.from_host(buf_mem_, bytes.data() + state_bytes_, buf_bytes_);
  }
  void set_stream(void* stream) override { exec_.set_stream(stream); }
  void synchronize() const override { exec_.synchronize(); }
  int32_t* action_buffer() override {
    if (!act_mem_) {
      const size_t bytes = static_cast<size_t>(dims_.num_envs) * dims_.users * sizeof(int32_t);
      act_mem_ = exec_.alloc(bytes);
      exec_.zero(act_mem_, bytes);
    }
    return static_cast<int32_t*>(act_mem_);
  }
  void copy_buffers_to_host(std::vector<uint8_t>& bytes) const override {
    bytes.resize(buf_bytes_);
    exec_.to_host(bytes.data(), buf_mem_, buf_bytes_);
  }
  void copy_events_to_host(std::vector<uint8_t>& bytes) const override {
    bytes.resize(ev_bytes_);
    if (ev_bytes_) exec_.to_host(bytes.data(), ev_mem_, ev_bytes_);
  }

  // Scenario-specific access (tests, evaluation). Pointers live on device().
  const Params& params() const { return p_; }
  const State& state() const { return state_; }
  const Events& events() const { return ev_; }
  const TeamConfig& team_config() const { return team_; }
  Exec& exec() { return exec_; }

 private:
  // Baselines are numbered by their position in Sc::baseline_names().
  static int baseline_id(const std::string& name) {
    const auto names = Sc::baseline_names();
    for (size_t k = 0; k < names.size(); ++k) {
      if (names[k] == name) return static_cast<int>(k);
    }
    throw std::invalid_argument(std::string("unknown ") + Sc::kName + " baseline '" + name + "'");
  }

  template <class T, class Visit>
  void allocate(T& views, void*& mem, size_t& bytes, Visit visit) {
    SoaArena measure(layout_, nullptr);
    visit(measure);
    bytes = measure.bytes();
    mem = exec_.alloc(bytes);
    exec_.zero(mem, bytes);
    SoaArena carve(layout_, mem);
    visit(carve);
    (void)views;
  }

  Params p_;
  Exec exec_;
  EnvDims dims_;
  TeamConfig team_;
  SoaLayout layout_;
  State state_{};
  StepBuffers buf_{};
  Events ev_{};
  void* state_mem_ = nullptr;
  void* buf_mem_ = nullptr;
  void* ev_mem_ = nullptr;
  void* act_mem_ = nullptr;  // action_buffer(), allocated on first use
  size_t state_bytes_ = 0, buf_bytes_ = 0, ev_bytes_ = 0;
};

}  // namespace mecrl
