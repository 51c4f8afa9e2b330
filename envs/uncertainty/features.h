// The uncertainty observation, feature by feature: the enum observe.h
// indexes with, and beside it the documentation rows `mecrl export` writes
// into policy.json. Row k documents enum value k (static_assert).
//
// Layout of one user's row: kFServerBase user features, then kPerServer
// features per server j, then with env.join_view the join block (kJServerBase
// features, then kPerServerJoin per server j): num_features(M, join) in
// observe.h. Without the join view the row is the block-free one, so a
// policy trained one way cannot be evaluated the other (the feature count
// differs). "config keys" lists
// the keys observe.h/physics.h read to compute the value.
#pragma once

#include "envs/feature_doc.h"

namespace mecrl::uncertainty {

enum Feature : int {
  kFAlpha, kFMustOffload, kFLocalDelay, kFSlmTime, kFLogPayload, kFDeviceSpeed, kFUsers, kFTau, kFMustFraction,
  kFServerBase,  // = 9; then per server j: kFServerBase + kPerServer * j + ServerFeature
};
enum ServerFeature : int { kSGainDb, kSCompute, kSNearShare, kSMustShare, kSCrowdDelay, kPerServer };
// The join view's block: on the decision that follows a proposal pass, the
// load the proposals put on each server; all 0 on the proposal pass.
enum JoinFeature : int { kJProposalPass, kJServerBase };
enum JoinServerFeature : int { kJProposed, kJShare, kJDelay, kPerServerJoin };

inline constexpr FeatureDoc kUserFeatureDocs[] = {
    {kFAlpha, "alpha", "probability", "the query's token-level uncertainty alpha_i", ""},
    {kFMustOffload, "must_offload", "flag", "1 if alpha_i > tau: running locally is forbidden (action 0 is masked)",
     "env.tau"},
    {kFLocalDelay, "local_delay", "50 ms", "t_L,i: the SLM's time on this device", ""},
    {kFSlmTime, "slm_time", "50 ms", "t_SLM,i: the SLM's time on the reference device (what the device can time)", ""},
    {kFLogPayload, "log2_payload_bits", "10 log2-bits", "log2(D_i) / 10, D_i the upload payload in bits", ""},
    {kFDeviceSpeed, "device_speed", "C_ref", "this device's compute C_L,i / the reference device's C_ref",
     "env.compute.ref_flops"},
    {kFUsers, "users", "100 users", "N, users in the snapshot / 100", ""},
    {kFTau, "tau", "probability", "the accuracy rule's threshold tau", "env.tau"},
    {kFMustFraction, "must_offload_fraction", "fraction", "fraction of the snapshot's users with alpha > tau", "env.tau"},
};
static_assert(documents_enum(kUserFeatureDocs, kFServerBase), "one doc row per Feature, in enum order");

inline constexpr FeatureDoc kServerFeatureDocs[] = {
    {kSGainDb, "gain_db", "20 dB", "(10 log10 |h_ij|^2 + 80) / 20, |h_ij|^2 the channel gain to this server", ""},
    {kSCompute, "compute", "C_ES", "this server's compute C_ES,j / the nominal C_ES", "env.compute.server_flops"},
    {kSNearShare, "near_share", "1/M of the users", "M x the fraction of users whose strongest channel is this server", ""},
    {kSMustShare, "must_share", "1/M of the users",
     "M x the fraction of users with alpha > tau whose strongest channel is this server", "env.tau"},
    {kSCrowdDelay, "crowd_delay", "50 ms",
     "uplink + compute delay of this user at this server if every user joined its strongest server (compute estimated "
     "as decision_llm_ratio x t_SLM,i), clipped to 10 (500 ms)",
     "env.radio.bandwidth_hz,env.radio.tx_power_w,env.radio.noise_w_per_hz,env.compute.ref_flops,"
     "env.compute.server_cap_flops,env.decision_llm_ratio"},
};
static_assert(documents_enum(kServerFeatureDocs, kPerServer), "one doc row per ServerFeature, in enum order");

inline constexpr FeatureDoc kJoinFeatureDocs[] = {
    {kJProposalPass, "proposal_pass", "flag",
     "1 on the proposal pass of a snapshot (its decisions only load the servers), 0 on the decision that counts",
     "env.join_view"},
};
static_assert(documents_enum(kJoinFeatureDocs, kJServerBase), "one doc row per JoinFeature, in enum order");

inline constexpr FeatureDoc kJoinServerFeatureDocs[] = {
    {kJProposed, "proposed", "flag", "1 if this user proposed this server on the proposal pass (0 on that pass)",
     "env.join_view"},
    {kJShare, "join_share", "1/M of the users",
     "M x the fraction of users that proposed this server (0 on the proposal pass)", "env.join_view"},
    {kJDelay, "join_delay", "50 ms",
     "uplink + compute delay of this user at this server under the proposals with itself moved there (one more "
     "sharer unless it proposed it; its own signal no longer interference there; compute estimated as "
     "decision_llm_ratio x t_SLM,i), clipped to 10 (500 ms); 0 on the proposal pass",
     "env.join_view,env.radio.bandwidth_hz,env.radio.tx_power_w,env.radio.noise_w_per_hz,env.compute.ref_flops,"
     "env.compute.server_cap_flops,env.decision_llm_ratio"},
};
static_assert(documents_enum(kJoinServerFeatureDocs, kPerServerJoin), "one doc row per JoinServerFeature, in enum order");

}  // namespace mecrl::uncertainty
