#include "core/stop_signal.h"

#include <csignal>

#include <signal.h>

namespace mecrl {
namespace {

volatile std::sig_atomic_t g_signal = 0;
volatile std::sig_atomic_t g_second_sigint_kills = 1;
struct sigaction g_previous_int {}, g_previous_term {};

// Async-signal-safe only: stores and sigaction.
void on_stop_signal(int sig) {
  if (g_signal == 0) g_signal = sig;
  if (sig == SIGINT && g_second_sigint_kills) {
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    ::sigaction(SIGINT, &dfl, nullptr);
  }
}

}  // namespace

StopSignalScope::StopSignalScope(bool second_sigint_kills) {
  g_signal = 0;
  g_second_sigint_kills = second_sigint_kills ? 1 : 0;
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;  // a write or wait the signal interrupts carries on
  ::sigaction(SIGINT, &sa, &g_previous_int);
  ::sigaction(SIGTERM, &sa, &g_previous_term);
}

StopSignalScope::~StopSignalScope() {
  ::sigaction(SIGINT, &g_previous_int, nullptr);
  ::sigaction(SIGTERM, &g_previous_term, nullptr);
}

int stop_signal() { return g_signal; }

}  // namespace mecrl
