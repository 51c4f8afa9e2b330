// Bytes a step moves per user-slot, computed from the layout, so that a
// measured rate reads against the memory roofline (HBM: H100 SXM ~3.35 TB/s,
// H200 ~4.8 TB/s).
//
// The model, per env and step: every state field read once; every field the
// step may write in any slot (Churn::Slot in the scenario's visit()) written
// once; the step outputs written once (observation, decide flags, rewards,
// costs, flags; the action mask and final observation only where the scenario
// writes them every step); the actions read once. Fields written only when a
// query or an episode starts (Churn::Rare) count as read, not written. It is
// the traffic of a kernel that touches each byte once; caches can only lower
// the real figure, partial-sector writes raise it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "core/soa.h"
#include "envs/step_buffers.h"

namespace mecrl::bench {

struct StepTraffic {
  double read_bytes = 0;   // per env and step
  double write_bytes = 0;  // per env and step
  int users = 1;
  double per_user_slot() const { return (read_bytes + write_bytes) / users; }
};

// Visits a state laid out for one env and adds up its bytes.
class TrafficCounter {
 public:
  explicit TrafficCounter(const SoaLayout& one_env) : l_(one_env) {}
  template <class T>
  void operator()(T*&, Extent x, Churn churn = Churn::Slot) {
    add(sizeof(T) * l_.count(x), churn);
  }
  template <class T>
  void take(T*&, size_t count) {  // extra per-env arrays: per-slot sums
    add(sizeof(T) * count, Churn::Slot);
  }
  double read = 0, write = 0;

 private:
  void add(size_t bytes, Churn churn) {
    read += static_cast<double>(bytes);
    if (churn == Churn::Slot) write += static_cast<double>(bytes);
  }
  SoaLayout l_;
};

// What a scenario's step writes besides the outputs every step has.
struct StepOutputs {
  bool mask = false;       // rewrites the action mask [U, A] every step
  bool final_obs = false;  // copies obs to final_obs every step (one-step episodes)
};

template <class Sc>
StepTraffic step_traffic(const typename Sc::Params& p, StepOutputs extra = {}) {
  const SoaLayout one = Sc::layout(p, 1);
  typename Sc::State s{};
  s.l = one;
  TrafficCounter c(one);
  s.visit(c);
  const EnvDims d = Sc::dims(p, 1);
  const double u = d.users, f = d.features;
  double out = 4.0 * u * f                  // obs
               + u                          // active
               + 4.0 + 4.0 * u              // reward, reward_user
               + 4.0 * d.costs + 4.0 * u * d.costs  // costs, costs_user
               + 1.0 + 1.0 + 4.0;           // terminated, truncated, decisions
  double in = 4.0 * u;                      // actions
  if (extra.mask) out += u * d.actions;
  if (extra.final_obs) {
    out += 4.0 * u * f;
    in += 4.0 * u * f;  // the copy reads obs
  }
  StepTraffic t;
  t.read_bytes = c.read + in;
  t.write_bytes = c.write + out;
  t.users = d.users;
  return t;
}

// The counters every env benchmark reports, from `state.iterations()` steps of
// `envs` envs of `users` users: items/s = user-slots/s, bytes/s from the
// traffic model, and env_steps, user_slots, bytes_per_user_slot.
template <class BenchmarkState>
void report_step_rates(BenchmarkState& state, int envs, int users, const StepTraffic& traffic) {
  using Counter = std::remove_reference_t<decltype(state.counters["x"])>;
  const double steps = static_cast<double>(state.iterations()) * envs;
  state.counters["env_steps"] = Counter(steps, Counter::kIsRate);
  state.counters["user_slots"] = Counter(steps * users, Counter::kIsRate);
  state.counters["bytes_per_user_slot"] = Counter(traffic.per_user_slot());
  state.SetItemsProcessed(static_cast<int64_t>(steps * users));
  state.SetBytesProcessed(static_cast<int64_t>(steps * users * traffic.per_user_slot()));
}

}  // namespace mecrl::bench
