// The observation's layout (spec §7): per-user features, then kPerServer
// features for every server. obs: [E, N, num_features(M)] float32.
#pragma once

#include "core/hd.h"

namespace mecrl::offload {

enum Feature : int {
  kFDecide = 0,       // 1 if the user decides this slot
  kFLogPrompt = 1,    // log1p(L_in) / 10
  kFSimple = 2,       // class one-hot
  kFComplex = 3,
  kFMedianOut = 4,    // class-median L_out / 100
  kFLogPayload = 5,   // log1p(D bits) / 16
  kFUncertainty = 6,  // u
  kFLocalTime = 7,    // own predicted local time-to-finish, s / 30
  kFDeficit = 8,      // energy deficit Y_i / (budget * 60 s)
  kFLocalAcc = 9,     // on-device variant's accuracy for this class
  kFLocalHal = 10,    // on-device variant's hallucination rate
  kFSlotFrac = 11,    // t / obs_horizon_slots, clamped to 1 (params.h)
  kFAccGap = 12,      // running accuracy - A_min
  kFHalGap = 13,      // running hallucination - H_max
  // Where the user's query is (one-hot; all 0 when idle or deciding). Beyond
  // the list of spec §7: without them a critic cannot tell a query queued at
  // a congested server from one about to finish, and the value of every
  // in-flight state (most of a rollout) is guesswork.
  kFInLocal = 14,
  kFInUpload = 15,
  kFInQueue = 16,
  kFInBatch = 17,
  kFInDownlink = 18,
  kFElapsed = 19,     // time since the query arrived, s / 30
  kFQueueAhead = 20,  // queued: queries ahead of it / B_max
  kFServerLeft = 21,  // in the batch: predicted time left (class-median L_out, current t_it), s / 30
  kFServerBase = 22,  // then per server j: kFServerBase + kPerServer * j + ...
};
enum ServerFeature : int {
  kSGainDb = 0,    // (10 log10 G_ij + 100) / 20
  kSQueued = 1,    // queued / B_max
  kSActive = 2,    // active / B_max
  kSWait = 3,      // estimated wait for a newcomer, s / 30
  kSUploaders = 4, // uploaders / 10
  kPerServer = 5,
};

MECRL_HD_CONST int num_features(int num_servers) { return kFServerBase + kPerServer * num_servers; }

}  // namespace mecrl::offload
