// VecEnv: the batched-environment contract every scenario and backend
// implements, and the only thing learners and the CLI see of an env.
//
// Autoreset is gymnasium's SAME_STEP mode: when an episode ends inside
// step(), `obs` already holds the next episode's first observation and
// `final_obs` the last one of the finished episode (for the bootstrap).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "envs/step_buffers.h"

namespace mecrl {

enum class Device { Cpu, Cuda };

// Saved state bytes that load_state refuses (wrong size, or a state the
// scenario's dynamics cannot reach). The caller names the file they came from.
class EnvStateError : public UsageError {
 public:
  using UsageError::UsageError;
};

class VecEnv {
 public:
  virtual ~VecEnv() = default;
  virtual const EnvDims& dims() const = 0;
  virtual Device device() const = 0;
  virtual std::string scenario() const = 0;

  // Starts a fresh episode in every env (episode clocks keep running).
  virtual void reset_all() = 0;
  // actions: [E, U] int32 on device(); entries of inactive users are ignored.
  virtual void step(const int32_t* actions) = 0;
  // Pointers on device(); valid for the env's lifetime.
  virtual const StepBuffers& buffers() const = 0;

  virtual std::vector<std::string> cost_names() const = 0;
  virtual std::vector<std::string> info_names() const = 0;

  // Heuristic policies of the scenario (spec §9): fill actions [E, U] on device().
  virtual std::vector<std::string> baseline_names() const = 0;
  virtual void act_baseline(const std::string& name, int32_t* actions) = 0;

  // The whole simulator state as bytes (host copy), for checkpoints.
  virtual std::vector<uint8_t> save_state() const = 0;
  // Replaces the state with saved bytes, after checking them (size, and the
  // scenario's invariants: envs/check_state.h); throws EnvStateError and
  // leaves the env as it was if they fail.
  virtual void load_state(const std::vector<uint8_t>& bytes) = 0;

  // CUDA stream (cudaStream_t) to launch on; ignored by the CPU backend.
  virtual void set_stream(void* /*stream*/) {}

  // Waits for the work queued on device() (timing a GPU policy); a no-op on the CPU.
  virtual void synchronize() const = 0;
  // actions: [E, U] int32 on device(), owned by the env: where an evaluation
  // loop lets its policy write the next step's actions.
  virtual int32_t* action_buffer() = 0;
  // Host copies of the allocations behind buffers() and the scenario's
  // events, byte for byte (envs/host_mirror.h carves views over them); the
  // events are empty unless the env was made with events.
  virtual void copy_buffers_to_host(std::vector<uint8_t>& bytes) const = 0;
  virtual void copy_events_to_host(std::vector<uint8_t>& bytes) const = 0;
};

// A policy as evaluation sees it: fill actions [E, U] (on env.device()) for
// the env's current observation.
using ActFn = std::function<void(VecEnv& env, int32_t* actions)>;

}  // namespace mecrl
