// Config keys of the offload scenario: `env.*` and the tables `tables.*`.
#pragma once

#include "core/config.h"
#include "envs/offload/params.h"

namespace mecrl::offload {

// Reads, validates and derives OffloadParams. Throws UsageError naming the
// file, line, key and allowed range of the first bad value.
OffloadParams read_offload_params(ConfigReader& r);

}  // namespace mecrl::offload
