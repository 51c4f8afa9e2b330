// StopSignalScope (core/stop_signal.h): SIGINT and SIGTERM are remembered, not
// fatal; the first one is the one reported; a second SIGINT kills unless the
// scope says otherwise; the previous handlers come back afterwards.
#include <gtest/gtest.h>

#include <csignal>
#include <unistd.h>

#include "core/stop_signal.h"

namespace {

volatile std::sig_atomic_t g_custom_hits = 0;
void custom_handler(int) { g_custom_hits = g_custom_hits + 1; }

TEST(StopSignal, FirstSignalIsRememberedNotFatal) {
  mecrl::StopSignalScope scope;
  EXPECT_EQ(mecrl::stop_signal(), 0);
  ASSERT_EQ(std::raise(SIGINT), 0);  // the default action would end the test binary here
  EXPECT_EQ(mecrl::stop_signal(), SIGINT);
}

TEST(StopSignal, TheFirstOneWinsAndRepeatedSigtermsAreHarmless) {
  {
    mecrl::StopSignalScope scope;
    ASSERT_EQ(std::raise(SIGTERM), 0);
    ASSERT_EQ(std::raise(SIGTERM), 0);  // e.g. from the scheduler and from srun
    ASSERT_EQ(std::raise(SIGINT), 0);
    EXPECT_EQ(mecrl::stop_signal(), SIGTERM);
  }
  mecrl::StopSignalScope again;
  EXPECT_EQ(mecrl::stop_signal(), 0);
}

TEST(StopSignal, ASecondSigintKillsAtOnce) {
  EXPECT_EXIT(
      {
        mecrl::StopSignalScope scope;
        std::raise(SIGINT);
        ::usleep(400 * 1000);  // a second request, not the same one delivered twice
        std::raise(SIGINT);    // the default action: the process ends here
        ::_exit(0);
      },
      testing::KilledBySignal(SIGINT), "");
}

// `timeout -s INT` sends SIGINT to the process and to its process group: the
// same request twice within microseconds stops the run, it does not kill it.
TEST(StopSignal, OneSigintDeliveredTwiceIsOneRequest) {
  EXPECT_EXIT(
      {
        mecrl::StopSignalScope scope;
        std::raise(SIGINT);
        std::raise(SIGINT);
        ::_exit(mecrl::stop_signal() == SIGINT ? 0 : 1);
      },
      testing::ExitedWithCode(0), "");
}

TEST(StopSignal, LaunchedRanksOutliveRepeatedSigints) {
  EXPECT_EXIT(
      {
        mecrl::StopSignalScope scope(/*second_sigint_kills=*/false);
        std::raise(SIGINT);
        std::raise(SIGINT);
        ::_exit(mecrl::stop_signal() == SIGINT ? 0 : 1);
      },
      testing::ExitedWithCode(0), "");
}

TEST(StopSignal, PreviousHandlersComeBack) {
  std::signal(SIGTERM, custom_handler);
  { mecrl::StopSignalScope scope; }
  g_custom_hits = 0;
  ASSERT_EQ(std::raise(SIGTERM), 0);
  EXPECT_EQ(g_custom_hits, 1);
  std::signal(SIGTERM, SIG_DFL);
}

}  // namespace
