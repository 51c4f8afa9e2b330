// UncertaintyScratch: what a team keeps for one env while it runs a step or
// a snapshot draw (team scratch: shared memory on the GPU, a per-thread
// buffer on the CPU). Nothing here outlives the call.
#pragma once

#include "envs/uncertainty/physics.h"

namespace mecrl::uncertainty {

struct UncertaintyScratch {
  ServerLoad* load;         // [1]: the load of the step's decisions
  int* own;                 // [N]: each user's strongest server
  int* near;                // [M]: users whose strongest server is j
  int* near_must;           // [M]: ... among them those with alpha > tau
  float* crowd_w;           // [M]: interference at j if every user joined its strongest server, W

  template <class Arena>
  MECRL_HD void carve(Arena& a, int n, int m) {
    load = a.template take<ServerLoad>(1);
    own = a.template take<int>(n);
    near = a.template take<int>(m);
    near_must = a.template take<int>(m);
    crowd_w = a.template take<float>(m);
  }
};

}  // namespace mecrl::uncertainty
