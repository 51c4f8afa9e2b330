// pg:: on c10d: ProcessGroupGloo (CPU tensors) after a TCPStore rendezvous.
#include <fmt/format.h>

#include <cerrno>
#include <chrono>

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "agents/process_group.h"
#include "core/error.h"

namespace mecrl::agents::pg {

struct Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> pg;
  DistEnv env;
  double timeout_s = 0;
};

bool available() { return true; }
std::string unavailable_reason() { return ""; }

namespace {

// c10d's messages carry a C++ backtrace after the first line.
std::string first_line(const std::exception& e) {
  const auto* c = dynamic_cast<const c10::Error*>(&e);
  std::string s = c ? c->what_without_backtrace() : e.what();
  const auto nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl);
}

[[noreturn]] void lost(const Group& g, const char* what, const std::exception& e) {
  throw IoError(fmt::format("rank {} of {}: {} with the other ranks failed (a rank died, or did not answer within "
                            "train.dist_timeout_s = {:g} s): {}",
                            g.env.rank, g.env.world_size, what, g.timeout_s, first_line(e)),
                ECONNABORTED);
}

// Starts a collective and waits for it; c10d's failures (a peer's closed
// socket, the timeout) become one line naming this rank.
template <class Start>
void run(const Group& g, const char* what, Start start) {
  try {
    start()->wait();
  } catch (const std::exception& e) {
    lost(g, what, e);
  }
}

}  // namespace

std::shared_ptr<Group> open(const DistEnv& d, double timeout_s) {
  auto g = std::make_shared<Group>();
  g->env = d;
  g->timeout_s = timeout_s;
  const auto timeout = std::chrono::milliseconds(static_cast<long long>(timeout_s * 1000));
  try {
    c10d::TCPStoreOptions so;
    so.port = static_cast<std::uint16_t>(d.master_port);
    so.isServer = d.rank == 0;
    so.numWorkers = static_cast<std::size_t>(d.world_size);
    so.waitWorkers = true;
    so.timeout = timeout;
    g->store = c10::make_intrusive<c10d::TCPStore>(d.master_addr, so);
    auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
    // The interface that reaches MASTER_ADDR (localhost for one node).
    opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(d.master_addr));
    opts->threads = 1;  // one collective at a time: the trainer waits on each
    g->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(g->store, d.rank, d.world_size, opts);
  } catch (const std::exception& e) {
    throw IoError(fmt::format("rank {} of {} ({}): rendezvous at {}:{} failed within {:g} s: {}", d.rank,
                              d.world_size, d.launcher, d.master_addr, d.master_port, timeout_s, first_line(e)),
                  ECONNREFUSED);
  }
  return g;
}

void all_reduce(Group& g, torch::Tensor& t, Op op) {
  std::vector<torch::Tensor> ts{t};
  c10d::AllreduceOptions o;
  o.reduceOp = op == Op::Sum ? c10d::ReduceOp::SUM : c10d::ReduceOp::MAX;
  run(g, "an all-reduce", [&] { return g.pg->allreduce(ts, o); });
}

void broadcast(Group& g, torch::Tensor& t, int root) {
  std::vector<torch::Tensor> ts{t};
  c10d::BroadcastOptions o;
  o.rootRank = root;
  run(g, "a broadcast", [&] { return g.pg->broadcast(ts, o); });
}

std::vector<torch::Tensor> all_gather(Group& g, const torch::Tensor& t) {
  std::vector<std::vector<torch::Tensor>> out(1);
  for (int r = 0; r < g.env.world_size; ++r) out[0].push_back(torch::empty_like(t));
  std::vector<torch::Tensor> in{t};
  run(g, "an all-gather", [&] { return g.pg->allgather(out, in); });
  return out[0];
}

}  // namespace mecrl::agents::pg
