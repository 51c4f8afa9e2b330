// Runs a program and captures its exit status, stdout and stderr (tests of
// the command line, as a user would type it).
#pragma once

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

inline CommandResult run_command(const std::vector<std::string>& args, const std::string& cwd = "") {
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
  pid_t pid = 0;
  CommandResult r;
  if (posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) == 0) {
    int st = 0;
    waitpid(pid, &st, 0);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  }
  posix_spawn_file_actions_destroy(&fa);
  close(out_fd);
  close(err_fd);
  r.out = slurp(std::filesystem::path(out_tmpl));
  r.err = slurp(std::filesystem::path(err_tmpl));
  std::remove(out_tmpl);
  std::remove(err_tmpl);
  return r;
}

}  // namespace mecrl::testing
