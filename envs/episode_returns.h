// Scenario-independent evaluation: mean episodic return and length of a
// policy over a number of finished episodes (used for cartpole).
#pragma once

#include <string>

#include "core/report.h"
#include "envs/vec_env.h"

namespace mecrl {

// Steps `env` with `act` until `episodes` episodes have finished.
Report evaluate_returns(VecEnv& env, const ActFn& act, int episodes, const std::string& policy_name);

}  // namespace mecrl
