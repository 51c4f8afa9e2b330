// `mecrl train --nproc N`: N local ranks of one data-parallel run, started
// the way torchrun --standalone does it (this binary again, once per rank,
// with RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR=127.0.0.1
// and a free MASTER_PORT). A rank that fails stops the others; the first
// failure's exit status is returned (128 + signal for a killed rank).
#pragma once

#include <string>
#include <vector>

namespace mecrl::app {

// args: the rank's command line after the program (e.g. {"train", "-c", "x.yaml", ...}).
int launch_local_ranks(int nproc, const std::vector<std::string>& args);

}  // namespace mecrl::app
