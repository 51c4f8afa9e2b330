// Scenario-independent evaluation: mean episodic return and length of a
// policy over a number of finished episodes (used for cartpole).
#pragma once

#include <string>

#include "core/progress.h"
#include "core/report.h"
#include "envs/vec_env.h"

namespace mecrl {

// Steps `env` with `act` until `episodes` episodes have finished; the
// report's samples are each episode's return and length. `progress`
// (optional) counts finished episodes.
Report evaluate_returns(VecEnv& env, const ActFn& act, int episodes, const std::string& policy_name,
                        ProgressLine* progress = nullptr);

}  // namespace mecrl
