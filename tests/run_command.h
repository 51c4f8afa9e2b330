// Runs a program and captures its exit status, stdout and stderr (tests of
// the command line, as a user would type it).
#pragma once

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "temp_dir.h"

namespace mecrl::testing {

struct CommandResult {
  int status = -1;
  std::string out, err;
};

// A started program whose stdout and stderr go to temporary files.
struct Spawned {
  pid_t pid = 0;  // 0: could not start
  std::string out_path, err_path;
};

inline Spawned spawn_command(const std::vector<std::string>& args, const std::string& cwd = "") {
  char out_tmpl[] = "/tmp/mecrl_out_XXXXXX";
  char err_tmpl[] = "/tmp/mecrl_err_XXXXXX";
  const int out_fd = mkstemp(out_tmpl), err_fd = mkstemp(err_tmpl);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
  posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
  std::vector<std::string> argv_s = args;
  std::string shell_cmd;
  if (!cwd.empty()) {  // run through the shell to change directory portably
    shell_cmd = "cd '" + cwd + "' && exec";
    for (const auto& a : args) shell_cmd += " '" + a + "'";
    argv_s = {"/bin/sh", "-c", shell_cmd};
  }
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  Spawned s{0, out_tmpl, err_tmpl};
  if (posix_spawn(&s.pid, argv[0], &fa, nullptr, argv.data(), environ) != 0) s.pid = 0;
  posix_spawn_file_actions_destroy(&fa);
  close(out_fd);
  close(err_fd);
  return s;
}

// Waits for it to end. status: the exit status; -1 if it could not start or a
// signal ended it (then `signal` says which).
struct Finished : CommandResult {
  int signal = 0;
};
inline Finished finish_command(const Spawned& s) {
  Finished r;
  if (s.pid > 0) {
    int st = 0;
    waitpid(s.pid, &st, 0);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    r.signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
  }
  r.out = slurp(std::filesystem::path(s.out_path));
  r.err = slurp(std::filesystem::path(s.err_path));
  std::remove(s.out_path.c_str());
  std::remove(s.err_path.c_str());
  return r;
}

inline CommandResult run_command(const std::vector<std::string>& args, const std::string& cwd = "") {
  return finish_command(spawn_command(args, cwd));
}

// Runs `args` until its stdout contains `text`, then sends it `sig` and waits
// for it to end (as Ctrl-C or a scheduler would). If `text` never comes (the
// program ended first, or timeout_s passed), no signal is sent.
inline Finished run_command_signalled_at(const std::vector<std::string>& args, const std::string& text, int sig,
                                         double timeout_s = 300) {
  const Spawned s = spawn_command(args);
  for (int waited_ms = 0; s.pid > 0 && waited_ms < timeout_s * 1000; waited_ms += 20) {
    if (slurp(std::filesystem::path(s.out_path)).find(text) != std::string::npos) {
      kill(s.pid, sig);
      break;
    }
    siginfo_t ended{};
    if (waitid(P_PID, static_cast<id_t>(s.pid), &ended, WEXITED | WNOHANG | WNOWAIT) == 0 && ended.si_pid != 0) {
      break;  // it ended by itself (WNOWAIT: finish_command still reaps it)
    }
    usleep(20 * 1000);
  }
  return finish_command(s);
}

}  // namespace mecrl::testing
