// Config keys of the uncertainty scenario: `seed` and `env.*`.
#pragma once

#include "core/config.h"
#include "envs/uncertainty/params.h"

namespace mecrl::uncertainty {

// Reads, validates and derives UncertaintyParams. Throws UsageError naming
// the file, line, key, value and allowed range of the first bad value.
UncertaintyParams read_uncertainty_params(ConfigReader& r);

}  // namespace mecrl::uncertainty
