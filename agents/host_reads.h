// Every copy of device data to the host made by the learners goes through
// to_host(), which counts it by purpose. The training loop promises at most
// one read per iteration (the metrics) in its default configuration; the CPU
// test Trainer.OneHostReadPerIteration holds it to that without a GPU, and
// tests/python/test_no_hidden_syncs.py keeps implicit synchronisations
// (.item(), nonzero(), clip_grad_norm_ ...) out of the loop's sources.
#pragma once

#include <array>
#include <cstdint>

#include <torch/torch.h>

namespace mecrl::agents {

enum class HostRead : int {
  Metrics = 0,  // the iteration's one metrics copy
  Checkpoint,   // saving: weights, optimiser, replay (every train.checkpoint_every)
  Profile,      // train.profile phase timings (synchronise the device)
  EarlyStop,    // ppo.target_kl > 0: the epoch's KL
  Setup,        // once per run: resume, capacity changes, evaluation
  kCount
};

// t on the CPU (a copy when t is on a device; blocks until it is there).
torch::Tensor to_host(const torch::Tensor& t, HostRead why);

// Waits for the device (a synchronisation without a copy), counted like a read.
void device_sync(const torch::Device& device, HostRead why);

using HostReadCounts = std::array<int64_t, static_cast<size_t>(HostRead::kCount)>;
HostReadCounts host_reads();  // since the process started

}  // namespace mecrl::agents
