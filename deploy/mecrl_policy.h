/* mecrl_policy: run an exported mecrl policy bundle (`mecrl export`) from C,
 * C++, Go (cgo), Python (ctypes) or anything that calls C. No LibTorch, no
 * CUDA: the actor MLP over the bundle's safetensors weights, on the calling
 * thread.
 *
 *   mecrl_policy* p = mecrl_policy_load("bundle/");
 *   if (!p) { fprintf(stderr, "%s\n", mecrl_policy_last_error()); return 2; }
 *   float obs[F];  int32_t action;  float probs[A];
 *   if (mecrl_policy_act(p, obs, NULL, 1, &action, probs) != 0) { ...last_error()... }
 *   mecrl_policy_free(p);
 *
 * Errors: every call that can fail returns NULL or -1 and leaves one line
 * naming the file or argument at fault in mecrl_policy_last_error() (per
 * thread). A policy may be shared by threads: act() does not modify it.
 */
#ifndef MECRL_POLICY_H_
#define MECRL_POLICY_H_

#include <stdint.h>

#if defined(_WIN32)
#define MECRL_POLICY_API __declspec(dllexport)
#else
#define MECRL_POLICY_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define MECRL_POLICY_ABI_VERSION 1

typedef struct mecrl_policy mecrl_policy;

/* Loads and checks a bundle directory (manifest sizes and CRC32C, policy.json,
 * weight shapes). NULL on failure. */
MECRL_POLICY_API mecrl_policy* mecrl_policy_load(const char* bundle_dir);

/* Decisions for `batch` observation rows.
 *   obs          [batch, features] float32, row-major, raw (the bundle
 *                normalises them itself); every value must be finite
 *   action_mask  [batch, actions] uint8, 0 = forbidden, else allowed; NULL =
 *                every action allowed (see policy.json "action.masking")
 *   actions      [batch] int32 out: the greedy (most probable allowed) action,
 *                or NULL
 *   probs        [batch, actions] float32 out: action probabilities (0 for
 *                forbidden actions), or NULL
 * Returns 0, or -1 (nothing written is meaningful then). */
MECRL_POLICY_API int mecrl_policy_act(const mecrl_policy* policy, const float* obs, const uint8_t* action_mask,
                                      int64_t batch, int32_t* actions, float* probs);

/* Shape and provenance of a loaded policy. */
MECRL_POLICY_API int mecrl_policy_features(const mecrl_policy* policy);
MECRL_POLICY_API int mecrl_policy_actions(const mecrl_policy* policy);
MECRL_POLICY_API const char* mecrl_policy_scenario(const mecrl_policy* policy);

/* Releases a policy (NULL is ignored). */
MECRL_POLICY_API void mecrl_policy_free(mecrl_policy* policy);

/* The last error of this thread, "" if none. Valid until the next call. */
MECRL_POLICY_API const char* mecrl_policy_last_error(void);

#ifdef __cplusplus
}
#endif

#endif /* MECRL_POLICY_H_ */
