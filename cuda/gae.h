// Generalised advantage estimation (Schulman et al. 2016), one column at a
// time: a column is one (env, value-user, head) stream of a rollout, walked
// backwards over its T steps. One MECRL_HD function, run by the CUDA kernel
// (cuda/gae.cu, one thread per column, T steps in registers) and by the CPU
// loop (gae_cpu) alike, so both backends compute the same advantages.
//
// Autoreset is SAME_STEP (envs/step_buffers.h): after acting at t,
//   terminated[t]  no bootstrap, no carry;
//   truncated[t]   bootstrap from V(final obs) = trunc_value[t], no carry;
//   otherwise      bootstrap from values[t + 1] (values[T] = last_value).
// lambda_next[t] (optional) is the lambda that carries A[t + 1] into A[t] for
// that column (1 between a user's decisions: GAE over decisions).
#pragma once

#include <cstdint>

#include "core/hd.h"

namespace mecrl::gae {

struct Args {
  // [T, cols] row-major float32; flags [T, envs] (cols = envs * per_env)
  const float* rewards = nullptr;
  const float* values = nullptr;
  const float* last_value = nullptr;   // [cols]
  const uint8_t* terminated = nullptr; // [T, envs] 0/1
  const uint8_t* truncated = nullptr;  // [T, envs] 0/1
  const float* trunc_value = nullptr;  // [T, cols]
  const float* lambda_next = nullptr;  // [T, cols] or null (then `lambda` everywhere)
  float* advantages = nullptr;         // [T, cols] out
  float* returns = nullptr;            // [T, cols] out: advantages + values
  int steps = 0;                       // T
  int64_t cols = 0;
  int64_t per_env = 1;                 // columns per env
  float gamma = 0.99f, lambda = 0.95f;
};

MECRL_HD void column(const Args& a, int64_t col) {
  const int64_t env = col / a.per_env, envs = a.cols / a.per_env;
  float next_adv = 0.f;
  float v_next = a.last_value[col];
  for (int t = a.steps - 1; t >= 0; --t) {
    const int64_t i = static_cast<int64_t>(t) * a.cols + col;
    const bool term = a.terminated[static_cast<int64_t>(t) * envs + env] != 0;
    const bool trunc = a.truncated[static_cast<int64_t>(t) * envs + env] != 0;
    const float v = a.values[i];
    const float boot = term ? 0.f : (trunc ? a.trunc_value[i] : v_next);
    const float delta = a.rewards[i] + a.gamma * boot - v;
    const float lam = a.lambda_next ? a.lambda_next[i] : a.lambda;
    next_adv = (term || trunc) ? delta : delta + a.gamma * lam * next_adv;
    a.advantages[i] = next_adv;
    a.returns[i] = next_adv + v;
    v_next = v;
  }
}

// The CPU backend: every column in turn.
inline void run_cpu(const Args& a) {
  for (int64_t c = 0; c < a.cols; ++c) column(a, c);
}

// The CUDA backend (cuda/gae.cu; stream: a cudaStream_t, null = default).
// Throws "built without CUDA" when the project has no CUDA backend.
void run_cuda(const Args& a, void* stream);

}  // namespace mecrl::gae
