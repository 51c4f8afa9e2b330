// Philox4x32-10 counter-based generator (Salmon et al., SC'11), written once
// for host and device. cuRAND's Philox is device-only, so the CPU backend
// could not share it; this one is checked against Random123's known answers
// in tests/core/test_philox.cpp.
//
// A stream of draws is addressed by a key (the run seed) and a counter
// (env index, slot, stream id, draw index): no state has to be carried
// between steps, and any env can be replayed on any device and thread.
#pragma once

#include "core/hd.h"

namespace mecrl {

struct Philox4 {
  uint32_t v[4];
};

MECRL_HD void mulhilo32(uint32_t a, uint32_t b, uint32_t& hi, uint32_t& lo) {
  const uint64_t p = static_cast<uint64_t>(a) * static_cast<uint64_t>(b);
  hi = static_cast<uint32_t>(p >> 32);
  lo = static_cast<uint32_t>(p);
}

// Ten rounds; the key is bumped by the Weyl constants between rounds.
MECRL_HD Philox4 philox4x32_10(Philox4 ctr, uint32_t k0, uint32_t k1) {
  constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  // Unrolled on both compilers: g++ -O2 keeps the loop otherwise, and the
  // CPU backend then spends twice the instructions per draw.
  MECRL_UNROLL
  for (int round = 0; round < 10; ++round) {
    uint32_t hi0, lo0, hi1, lo1;
    mulhilo32(kM0, ctr.v[0], hi0, lo0);
    mulhilo32(kM1, ctr.v[2], hi1, lo1);
    ctr = Philox4{{hi1 ^ ctr.v[1] ^ k0, lo1, hi0 ^ ctr.v[3] ^ k1, lo0}};
    k0 += kW0;  // the key of the next round (the last bump goes unused)
    k1 += kW1;
  }
  return ctr;
}

}  // namespace mecrl
