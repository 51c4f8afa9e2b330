// Ctrl-C and a scheduler's SIGTERM (Slurm sends it before a preemption or the
// end of a time limit) during a long job: remembered instead of killing, so the
// job stops at its next safe point (the trainer: after the current iteration,
// with a checkpoint).
//
// Inside a StopSignalScope, SIGINT and SIGTERM only set the flag, except that
// a second SIGINT (an impatient user) takes the default action and kills at
// once when `second_sigint_kills` -- a second one at least 0.3 s after the
// first: `timeout -s INT` signals the process and its process group, so one
// request can arrive twice. Repeated SIGTERMs stay harmless: a
// scheduler may deliver one to every process of the job and through srun as
// well, and it sends SIGKILL itself when its grace period ends. Ranks started
// by a launcher pass false: a terminal's Ctrl-C reaches them directly *and*
// through the launcher, which escalates a second Ctrl-C itself.
#pragma once

namespace mecrl {

class StopSignalScope {
 public:
  explicit StopSignalScope(bool second_sigint_kills = true);  // installs the handlers, clears the flag
  ~StopSignalScope();                                          // puts the previous handlers back
  StopSignalScope(const StopSignalScope&) = delete;
  StopSignalScope& operator=(const StopSignalScope&) = delete;
};

// The first SIGINT/SIGTERM received inside the current (or last) scope; 0 if none.
int stop_signal();

}  // namespace mecrl
