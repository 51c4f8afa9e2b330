// The offload observation, feature by feature (spec §7): the enum observe.h
// indexes with, and beside it the documentation rows that `mecrl export`
// writes into policy.json. Row k documents enum value k (static_assert), so
// adding or moving a feature without its row does not compile.
//
// Layout of one user's row: kFServerBase user features, then kPerServer
// features per server j, then nothing else: num_features(M) below.
// "config keys" lists the keys observe.h/predict.h read to compute the value.
#pragma once

#include "core/hd.h"
#include "envs/feature_doc.h"

namespace mecrl::offload {

enum Feature : int {
  kFDecide, kFLogPrompt, kFSimple, kFComplex, kFMedianOut, kFLogPayload, kFUncertainty, kFLocalTime, kFDeficit,
  kFLocalAcc, kFLocalHal, kFSlotFrac, kFAccGap, kFHalGap,
  // Where the user's query is (one-hot; all 0 when idle or deciding). Beyond
  // the list of spec §7: without them a critic cannot tell a query queued at
  // a congested server from one about to finish, and the value of every
  // in-flight state (most of a rollout) is guesswork.
  kFInLocal, kFInUpload, kFInQueue, kFInBatch, kFInDownlink,
  kFElapsed, kFQueueAhead, kFServerLeft,
  kFServerBase,  // = 22; then per server j: kFServerBase + kPerServer * j + ServerFeature
};
enum ServerFeature : int { kSGainDb, kSQueued, kSActive, kSWait, kSUploaders, kPerServer };

// obs: [E, N, num_features(M)] float32.
MECRL_HD_CONST int num_features(int num_servers) { return kFServerBase + kPerServer * num_servers; }

#define MECRL_OFFLOAD_OUTPUT_KEYS "env.output.median_simple,env.output.median_complex"
#define MECRL_OFFLOAD_BMAX_KEYS \
  "env.server.model,env.server.gpu,env.server.kv_reserve_tokens,env.server.kv_headroom_gb,env.server.max_batch_cap"

inline constexpr FeatureDoc kUserFeatureDocs[] = {
    {kFDecide, "decide", "flag", "1 if the user decides this slot (a query has just arrived)", ""},
    {kFLogPrompt, "log_prompt_tokens", "10 log-tokens", "log(1 + L_in) / 10, L_in the prompt length in tokens; 0 when idle", ""},
    {kFSimple, "class_simple", "flag", "1 if the query is simple (single-hop); 0 when idle", ""},
    {kFComplex, "class_complex", "flag", "1 if the query is complex (multi-hop); 0 when idle", ""},
    {kFMedianOut, "median_output_tokens", "100 tokens", "median answer length L_out of the query's class / 100; 0 when idle",
     MECRL_OFFLOAD_OUTPUT_KEYS},
    {kFLogPayload, "log_payload_bits", "16 log-bits", "log(1 + D) / 16, D the upload payload in bits; 0 when idle", ""},
    {kFUncertainty, "uncertainty", "probability", "the query's token-level uncertainty u; 0 when idle", ""},
    {kFLocalTime, "local_time_left", "30 s",
     "predicted on-device time to finish (prompt prefill + class-median L_out decode at this device's speed), minus "
     "the time already run if it runs locally; 0 when idle or offloaded",
     "env.device.model,env.device.bw_efficiency,env.device.flops_efficiency," MECRL_OFFLOAD_OUTPUT_KEYS},
    {kFDeficit, "energy_deficit", "energy_budget_w x 60 s",
     "the device's energy deficit queue Y_i (J) / (energy_budget_w x 60 s)", "env.constraints.energy_budget_w"},
    {kFLocalAcc, "local_accuracy", "probability", "accuracy of the on-device model on the query's class; 0 when idle",
     "env.device.model"},
    {kFLocalHal, "local_hallucination", "probability", "hallucination rate of the on-device model", "env.device.model"},
    {kFSlotFrac, "episode_progress", "fraction", "t / obs_horizon_slots clamped to 1, t the slots since the episode began",
     "env.obs_horizon_slots"},
    {kFAccGap, "accuracy_gap", "probability",
     "running accuracy of the cell's completed queries (window of quality_window completions) - acc_min",
     "env.constraints.acc_min,env.constraints.quality_window"},
    {kFHalGap, "hallucination_gap", "probability",
     "running hallucination rate of the cell's completed queries (window of quality_window completions) - hal_max",
     "env.constraints.hal_max,env.constraints.quality_window"},
    {kFInLocal, "in_local", "flag", "the query runs on the device (in_* are one-hot; all 0 when idle or deciding)", ""},
    {kFInUpload, "in_upload", "flag", "the query's prompt is uploading to its server", ""},
    {kFInQueue, "in_queue", "flag", "the query waits in its server's queue", ""},
    {kFInBatch, "in_batch", "flag", "the query is in its server's running batch", ""},
    {kFInDownlink, "in_downlink", "flag", "the answer is on its way back to the device", ""},
    {kFElapsed, "elapsed", "30 s", "time since the query arrived; 0 when idle", "env.dt_s"},
    {kFQueueAhead, "queue_ahead", "B_max queries",
     "queued at a server: queries ahead of it / that server's batch capacity B_max; 0 otherwise", MECRL_OFFLOAD_BMAX_KEYS},
    {kFServerLeft, "server_time_left", "30 s",
     "in a batch: (prefill iterations + class-median L_out - iterations done) x the server's current iteration time; "
     "0 otherwise",
     "env.server.prefill_chunk_tokens," MECRL_OFFLOAD_OUTPUT_KEYS},
};
static_assert(documents_enum(kUserFeatureDocs, kFServerBase), "one doc row per Feature, in enum order");

inline constexpr FeatureDoc kServerFeatureDocs[] = {
    {kSGainDb, "gain_db", "20 dB", "(10 log10 G + 100) / 20, G the current channel gain to this server", ""},
    {kSQueued, "queued", "B_max queries", "queries waiting in this server's queue / its batch capacity B_max",
     MECRL_OFFLOAD_BMAX_KEYS},
    {kSActive, "active", "B_max queries", "queries in this server's running batch / B_max", MECRL_OFFLOAD_BMAX_KEYS},
    {kSWait, "estimated_wait", "30 s",
     "estimated queueing wait of a newcomer: max(0, queries there - B_max + 1) x full-batch iteration time x "
     "(median L_out + 1) / B_max",
     MECRL_OFFLOAD_BMAX_KEYS ",env.server.eta_bw,env.server.eta_flops,env.server.overhead_s,env.p_complex,"
                             "env.prompt.median_simple,env.prompt.median_complex," MECRL_OFFLOAD_OUTPUT_KEYS},
    {kSUploaders, "uploaders", "10 users", "users uploading to this server / 10", ""},
};
static_assert(documents_enum(kServerFeatureDocs, kPerServer), "one doc row per ServerFeature, in enum order");

#undef MECRL_OFFLOAD_OUTPUT_KEYS
#undef MECRL_OFFLOAD_BMAX_KEYS

}  // namespace mecrl::offload
