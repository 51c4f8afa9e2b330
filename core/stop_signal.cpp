#include "core/stop_signal.h"

#include <csignal>

#include <signal.h>
#include <time.h>

namespace mecrl {
namespace {

volatile std::sig_atomic_t g_signal = 0;
volatile std::sig_atomic_t g_second_sigint_kills = 1;
volatile std::sig_atomic_t g_first_sigint_ms = -1;  // CLOCK_MONOTONIC, ms modulo 2^31; -1: none yet
struct sigaction g_previous_int {}, g_previous_term {};

// One keypress or one `timeout -s INT` can arrive twice within microseconds
// (sent to the process and to its process group); only a SIGINT this long
// after the first is a second request.
constexpr long kSecondSigintAfterMs = 300;

long now_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return (ts.tv_sec * 1000 + ts.tv_nsec / 1000000) & 0x7fffffff;
}

// Async-signal-safe only: stores, clock_gettime, sigaction, raise.
void on_stop_signal(int sig) {
  if (g_signal == 0) g_signal = sig;
  if (sig != SIGINT || !g_second_sigint_kills) return;
  const long now = now_ms();
  if (g_first_sigint_ms < 0) {
    g_first_sigint_ms = static_cast<std::sig_atomic_t>(now);
  } else if (((now - g_first_sigint_ms) & 0x7fffffff) >= kSecondSigintAfterMs) {
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    ::sigaction(SIGINT, &dfl, nullptr);
    ::raise(SIGINT);  // the default action: the process ends here
  }
}

}  // namespace

StopSignalScope::StopSignalScope(bool second_sigint_kills) {
  g_signal = 0;
  g_first_sigint_ms = -1;
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
