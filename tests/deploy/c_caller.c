/* The C ABI of deploy/mecrl_policy.h from C99: loads a bundle, decides for a
 * small batch with and without an action mask, and checks what C can check
 * on its own: probabilities sum to 1, forbidden actions get probability 0 and
 * are never chosen, the greedy action is the most probable one, and errors
 * come back as NULL / -1 with a message.
 *   mecrl_policy_c_caller <bundle dir>      exit 0 when every check holds */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deploy/mecrl_policy.h"

#define BATCH 4

static int failures = 0;
#define EXPECT(cond, ...)                        \
  do {                                           \
    if (!(cond)) {                               \
      fprintf(stderr, "c_caller: " __VA_ARGS__); \
      fprintf(stderr, "\n");                     \
      ++failures;                                \
    }                                            \
  } while (0)

static void check_rows(const float* probs, const int32_t* actions, const uint8_t* mask, int a) {
  for (int r = 0; r < BATCH; ++r) {
    double sum = 0.0;
    int best = 0;
    for (int k = 0; k < a; ++k) {
      const float p = probs[r * a + k];
      sum += p;
      if (p > probs[r * a + best]) best = k;
      if (mask) EXPECT(mask[r * a + k] || p == 0.f, "row %d: forbidden action %d has probability %g", r, k, p);
    }
    EXPECT(fabs(sum - 1.0) < 1e-5, "row %d: probabilities sum to %.9f", r, sum);
    EXPECT(probs[r * a + actions[r]] == probs[r * a + best], "row %d: greedy action %d is not the most probable", r,
           actions[r]);
    if (mask) EXPECT(mask[r * a + actions[r]], "row %d: greedy action %d is forbidden", r, actions[r]);
  }
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s <bundle dir>\n", argv[0]);
    return 2;
  }
  mecrl_policy* bad = mecrl_policy_load("/nonexistent/bundle");
  EXPECT(bad == NULL && strlen(mecrl_policy_last_error()) > 0, "loading a missing bundle did not fail with a message");

  mecrl_policy* p = mecrl_policy_load(argv[1]);
  if (!p) {
    fprintf(stderr, "c_caller: %s\n", mecrl_policy_last_error());
    return 1;
  }
  const int f = mecrl_policy_features(p), a = mecrl_policy_actions(p);
  printf("%s: %s, %d features, %d actions\n", argv[1], mecrl_policy_scenario(p), f, a);
  float* obs = malloc(sizeof(float) * BATCH * f);
  float* probs = malloc(sizeof(float) * BATCH * a);
  uint8_t* mask = malloc((size_t)BATCH * a);
  int32_t actions[BATCH];
  for (int i = 0; i < BATCH * f; ++i) obs[i] = (float)((i * 37) % 11) * 0.25f - 1.f;
  for (int i = 0; i < BATCH * a; ++i) mask[i] = (uint8_t)(i % 3 != 0);
  for (int r = 0; r < BATCH; ++r) mask[r * a + (r % a)] = 1; /* at least one allowed action per row */

  EXPECT(mecrl_policy_act(p, obs, NULL, BATCH, actions, probs) == 0, "act: %s", mecrl_policy_last_error());
  check_rows(probs, actions, NULL, a);
  EXPECT(mecrl_policy_act(p, obs, mask, BATCH, actions, probs) == 0, "masked act: %s", mecrl_policy_last_error());
  check_rows(probs, actions, mask, a);

  obs[1] = NAN;
  EXPECT(mecrl_policy_act(p, obs, NULL, BATCH, actions, probs) == -1 && strstr(mecrl_policy_last_error(), "finite"),
         "a NaN observation was accepted");
  EXPECT(mecrl_policy_act(NULL, obs, NULL, 1, actions, probs) == -1, "a NULL policy was accepted");

  mecrl_policy_free(p);
  free(obs);
  free(probs);
  free(mask);
  if (failures) return 1;
  printf("ok\n");
  return 0;
}
