#include "apps/launch_ranks.h"

#include <fmt/format.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <thread>

#include "core/error.h"

namespace mecrl::app {
namespace {

// A port the kernel just had free on localhost (torchrun --standalone's way;
// another process could take it before rank 0 binds: then the rendezvous fails
// with that message).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw IoError(fmt::format("--nproc: socket: {}", std::strerror(errno)), errno);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    const int e = errno;
    ::close(fd);
    throw IoError(fmt::format("--nproc: no free port on 127.0.0.1: {}", std::strerror(e)), e);
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

std::vector<pid_t> g_children;  // for the signal handler (kill is async-signal-safe)
volatile std::sig_atomic_t g_user_signal = 0;  // the launcher itself got SIGINT/SIGTERM
volatile std::sig_atomic_t g_interrupts = 0;   // how many SIGINTs

void forward(int sig) {
  for (const pid_t p : g_children) {
    if (p > 0) ::kill(p, sig);
  }
}

// Passes the user's (or scheduler's) signal on: each rank then stops after the
// iteration rank 0 decides, with a checkpoint (core/stop_signal.h). The ranks
// remember any number of signals (a terminal's Ctrl-C reaches them directly
// too), so a second Ctrl-C is escalated here: SIGKILL, at once.
void forward_user_signal(int sig) {
  g_user_signal = sig;
  if (sig == SIGINT) g_interrupts = g_interrupts + 1;
  forward(sig == SIGINT && g_interrupts >= 2 ? SIGKILL : sig);
}

int status_code(int st) { return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st); }

}  // namespace

int launch_local_ranks(int nproc, const std::vector<std::string>& args) {
  const std::string port = std::to_string(std::getenv("MASTER_PORT") ? std::atoi(std::getenv("MASTER_PORT")) : free_port());
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::string> argv_s{"/proc/self/exe"};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::cout.flush();
  g_children.assign(nproc, 0);
  for (int r = 0; r < nproc; ++r) {
    const pid_t pid = ::fork();
    if (pid < 0) {
      forward(SIGTERM);
      throw IoError(fmt::format("--nproc: fork: {}", std::strerror(errno)), errno);
    }
    if (pid == 0) {
      ::setenv("RANK", std::to_string(r).c_str(), 1);
      ::setenv("LOCAL_RANK", std::to_string(r).c_str(), 1);
      ::setenv("WORLD_SIZE", std::to_string(nproc).c_str(), 1);
      ::setenv("LOCAL_WORLD_SIZE", std::to_string(nproc).c_str(), 1);
      ::setenv("MASTER_ADDR", "127.0.0.1", 1);
      ::setenv("MASTER_PORT", port.c_str(), 1);
      // As torchrun: the ranks share the cores instead of each taking all.
      ::setenv("OMP_NUM_THREADS", std::to_string(std::max(1u, cores / nproc)).c_str(), 0);
      ::execv(argv[0], argv.data());
      std::fprintf(stderr, "mecrl: --nproc: cannot start rank %d: %s\n", r, std::strerror(errno));
      ::_exit(127);
    }
    g_children[r] = pid;
  }
  struct sigaction sa {};
  sa.sa_handler = forward_user_signal;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  // The others notice a dead rank themselves (their next collective fails
  // with one line naming it); after a grace period they are stopped -- unless
  // the ranks are ending on a forwarded signal, where rank 0 may still be
  // writing its checkpoint after the others have left.
  int first_failure = 0, running = nproc;
  std::chrono::steady_clock::time_point deadline{};
  bool stopped = false, killed = false;
  while (running > 0) {
    int st = 0;
    const pid_t pid = ::waitpid(-1, &st, WNOHANG);
    if (pid < 0 && errno != EINTR) break;
    if (pid <= 0) {
      if (first_failure != 0 && !stopped && g_user_signal == 0 && std::chrono::steady_clock::now() > deadline) {
        forward(SIGTERM);
        stopped = true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    int rank = 0;
    while (rank < nproc && g_children[rank] != pid) ++rank;
    if (rank == nproc) continue;
    g_children[rank] = 0;
    --running;
    const int code = status_code(st);
    if (code == 0) continue;
    // A rank killed by a signal printed nothing: say so. A rank that exited
    // non-zero said why itself (often: a peer died).
    const bool signalled = WIFSIGNALED(st) && !stopped;  // not by us
    if (signalled) {
      std::cerr << fmt::format("mecrl: rank {} of {} was killed by signal {} ({})\n", rank, nproc, WTERMSIG(st),
                               strsignal(WTERMSIG(st)));
    }
    if (first_failure == 0) deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    // The status returned is the cause: a killed rank's over the others' "peer lost".
    if (first_failure == 0 || (signalled && !killed)) {
      first_failure = code;
      killed = signalled;
    }
  }
  return first_failure;
}

}  // namespace mecrl::app
