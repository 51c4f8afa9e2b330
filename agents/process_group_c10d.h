// What the two c10d backends share (included by process_group_gloo.cpp and
// process_group_nccl.cpp only): the TCPStore rendezvous, one collective at a
// time waited on with the group's timeout, and c10d's failures turned into
// one IoError line naming this rank. `PG` is c10d::ProcessGroupGloo or
// c10d::ProcessGroupNCCL: both have allreduce/broadcast/allgather with the
// same signatures (LibTorch 1.13 and 2.11), but no common base in 1.13.
#pragma once

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <vector>

#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/Types.hpp>

#include "agents/process_group_impl.h"
#include "core/error.h"

namespace mecrl::agents::pg::c10d_glue {

inline std::chrono::milliseconds millis(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
}

// c10d's messages carry a C++ backtrace after the first line; NCCL's put the
// useful part ("Last error:" and the line after it) further down.
inline std::string summary(const std::exception& e) {
  const auto* c = dynamic_cast<const c10::Error*>(&e);
  const std::string s = c ? c->what_without_backtrace() : e.what();
  const auto nl = s.find('\n');
  std::string out = nl == std::string::npos ? s : s.substr(0, nl);
  if (const auto at = s.find("Last error:\n"); at != std::string::npos) {
    const auto from = at + 12, to = s.find('\n', from);
    out += " (" + s.substr(from, to == std::string::npos ? std::string::npos : to - from) + ")";
  }
  return out;
}

// Rank 0 hosts the store; it waits for every rank to connect.
inline c10::intrusive_ptr<c10d::Store> rendezvous(const DistEnv& d, double timeout_s) {
  c10d::TCPStoreOptions so;
  so.port = static_cast<std::uint16_t>(d.master_port);
  so.isServer = d.rank == 0;
  so.numWorkers = static_cast<std::size_t>(d.world_size);
  so.waitWorkers = true;
  so.timeout = millis(timeout_s);
  return c10::make_intrusive<c10d::TCPStore>(d.master_addr, so);
}

[[noreturn]] inline void rendezvous_failed(const DistEnv& d, double timeout_s, const char* backend,
                                           const std::exception& e) {
  throw IoError(fmt::format("rank {} of {} ({}): rendezvous ({}) at {}:{} failed within {:g} s: {}", d.rank,
                            d.world_size, d.launcher, backend, d.master_addr, d.master_port, timeout_s, summary(e)),
                ECONNREFUSED);
}

template <class PG>
class C10dGroup : public Group {
 public:
  // wait_timeout: pass the timeout to Work::wait too (NCCL: the CPU blocks
  // until the collective is done or timed out; Gloo enforces its own).
  C10dGroup(Backend b, torch::Device dev, const DistEnv& d, double timeout_s, c10::intrusive_ptr<c10d::Store> store,
            c10::intrusive_ptr<PG> pg, bool wait_timeout)
      : Group(b, dev),
        env_(d),
        timeout_s_(timeout_s),
        store_(std::move(store)),
        pg_(std::move(pg)),
        wait_timeout_(wait_timeout) {}

  void all_reduce(torch::Tensor& t, Op op) override {
    std::vector<torch::Tensor> ts{t};
    c10d::AllreduceOptions o;
    o.reduceOp = op == Op::Sum ? c10d::ReduceOp::SUM : c10d::ReduceOp::MAX;
    run("an all-reduce", [&] { return pg_->allreduce(ts, o); });
  }

  void broadcast(torch::Tensor& t, int root) override {
    std::vector<torch::Tensor> ts{t};
    c10d::BroadcastOptions o;
    o.rootRank = root;
    run("a broadcast", [&] { return pg_->broadcast(ts, o); });
  }

  std::vector<torch::Tensor> all_gather(const torch::Tensor& t) override {
    std::vector<std::vector<torch::Tensor>> out(1);
    for (int r = 0; r < env_.world_size; ++r) out[0].push_back(torch::empty_like(t));
    std::vector<torch::Tensor> in{t};
    run("an all-gather", [&] { return pg_->allgather(out, in); });
    return out[0];
  }

  PG& pg() { return *pg_; }
  bool failed() const { return failed_; }

 private:
  // Starts a collective and waits for it (at most timeout_s); c10d's failures (a peer's closed socket,
  // an NCCL error, the timeout) become one line naming this rank.
  template <class Start>
  void run(const char* what, Start start) {
    try {
      const auto work = start();
      if (wait_timeout_) {
        work->wait(millis(timeout_s_));
      } else {
        work->wait();
      }
    } catch (const std::exception& e) {
      failed_ = true;
      throw IoError(fmt::format("rank {} of {}: {} with the other ranks failed ({}; a rank died, or did not answer "
                                "within train.dist_timeout_s = {:g} s): {}",
                                env_.rank, env_.world_size, what, backend_name(backend), timeout_s_, summary(e)),
                    ECONNABORTED);
    }
  }

  DistEnv env_;
  double timeout_s_;
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<PG> pg_;
  bool wait_timeout_;
  bool failed_ = false;
};

}  // namespace mecrl::agents::pg::c10d_glue
