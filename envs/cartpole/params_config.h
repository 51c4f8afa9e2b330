// Config keys of the cartpole scenario (gymnasium's constants as defaults).
#pragma once

#include "core/config.h"
#include "envs/cartpole/cartpole.h"

namespace mecrl::cartpole {

CartPoleParams read_cartpole_params(ConfigReader& r);

}  // namespace mecrl::cartpole
