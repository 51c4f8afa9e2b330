// Physics of the offload scenario against closed forms computed here in
// double precision from the spec's formulas (spec §3, §6).
#include <gtest/gtest.h>

#include <cmath>

#include "envs/offload/physics.h"
#include "offload_test_util.h"

namespace mecrl::offload {
namespace {

using testing::params_with;

TEST(OffloadPhysics, PathLossClosedForm) {
  const OffloadParams p = params_with();
  EXPECT_NEAR(path_loss_db(p, 1000.f), 128.1, 1e-4);
  EXPECT_NEAR(path_loss_db(p, 100.f), 128.1 - 37.6, 1e-4);
  EXPECT_NEAR(path_loss_db(p, 250.f), 128.1 + 37.6 * std::log10(0.25), 1e-4);
  EXPECT_NEAR(path_loss_db(p, 1.f), path_loss_db(p, 10.f), 1e-6);  // clipped at 10 m
}

TEST(OffloadPhysics, UplinkRateAndBandwidthSplit) {
  const OffloadParams p = params_with();
  const double n0 = std::pow(10.0, (-174.0 + 7.0 - 30.0) / 10.0);  // W/Hz
  EXPECT_NEAR(p.d.noise_w_per_hz / n0, 1.0, 1e-5);
  for (int n : {1, 2, 5, 17}) {
    for (double gain : {1e-13, 3e-11, 1e-9}) {
      const double w = 20e6 / n;
      const double expect = w * std::log2(1.0 + 0.2 * gain / (n0 * w));
      const double got = uplink_rate_bps(20e6f, n, 0.2f, static_cast<float>(gain), p.d.noise_w_per_hz);
      EXPECT_NEAR(got / expect, 1.0, 2e-5) << "n=" << n << " gain=" << gain;
    }
  }
  // Sharing: each of n users gets more than 1/n of the solo rate (its noise
  // bandwidth shrinks too) but less than the solo rate.
  const float solo = uplink_rate_bps(20e6f, 1, 0.2f, 3e-11f, p.d.noise_w_per_hz);
  const float four = uplink_rate_bps(20e6f, 4, 0.2f, 3e-11f, p.d.noise_w_per_hz);
  EXPECT_GT(four, solo / 4);
  EXPECT_LT(four, solo);
}

// B_max = floor((HBM - S_w - 2 GB) / (K * 2048)), by hand:
// L4:   (24 - 15.3 - 2) GB / (128 KiB * 2048) = 6.7e9 / 268435456 = 24.96 -> 24
// A100: (80 - 15.3 - 2) GB / 268435456 = 233.57 -> 233
TEST(OffloadPhysics, MaxBatchL4AndA100) {
  EXPECT_EQ(params_with().d.max_batch[0], 24);
  EXPECT_EQ(params_with({"env.server.gpu=A100_80GB"}).d.max_batch[0], 233);
  EXPECT_EQ(params_with({"env.server.gpu=H100_SXM"}).d.max_batch[0], 233);
  EXPECT_EQ(params_with({"env.server.gpu=A100_80GB", "env.server.max_batch_cap=100"}).d.max_batch[0], 100);
}

double t_it_ref(double weights, double params, double kv, double bw, double flops, double sum_ctx,
                double decode, double prefill_tokens) {
  const double mem = (weights + sum_ctx * kv) / (0.8 * bw);
  const double cmp = 2 * params * (decode + prefill_tokens) / (0.5 * flops);
  return std::max(mem, cmp) + 0.003;
}

TEST(OffloadPhysics, IterationTimeL4AndA100) {
  struct Case {
    const char* gpu;
    double bw, flops;
  };
  for (const Case c : {Case{"L4", 0.30e12, 121e12}, Case{"A100_80GB", 2.04e12, 312e12}}) {
    const OffloadParams p = params_with({std::string("env.server.gpu=") + c.gpu});
    const ModelRow& m = p.server_model[0];
    const GpuRow& g = p.server_gpu[0];
    for (int b : {1, 8, 24}) {
      const double ctx = 400.0 * b;
      const double expect = t_it_ref(15.3e9, 8.03e9, 131072, c.bw, c.flops, ctx, b, 0);
      EXPECT_NEAR(iteration_time_s(p, m, g, static_cast<float>(ctx), static_cast<float>(b), 0.f) / expect, 1.0,
                  1e-5)
          << c.gpu << " b=" << b;
    }
    // A batch carrying 24 prefill chunks of 512 tokens is compute bound.
    const double expect = t_it_ref(15.3e9, 8.03e9, 131072, c.bw, c.flops, 24 * 512.0, 0, 24 * 512.0);
    const double got = iteration_time_s(p, m, g, 24 * 512.f, 0.f, 24 * 512.f);
    EXPECT_NEAR(got / expect, 1.0, 1e-5);
    EXPECT_GT(2 * 8.03e9 * 24 * 512 / (0.5 * c.flops), (15.3e9 + 24 * 512 * 131072.0) / (0.8 * c.bw));
  }
  // L4 at batch 1, 400-token context: 63.97 ms of weight+KV streaming + 3 ms.
  const OffloadParams p = params_with();
  EXPECT_NEAR(iteration_time_s(p, p.server_model[0], p.server_gpu[0], 400.f, 1.f, 0.f), 0.0669685, 1e-6);
}

TEST(OffloadPhysics, PrefillIterations) {
  const OffloadParams p = params_with();
  EXPECT_EQ(prefill_iterations(p, 16.f), 1);
  EXPECT_EQ(prefill_iterations(p, 512.f), 1);
  EXPECT_EQ(prefill_iterations(p, 513.f), 2);
  EXPECT_EQ(prefill_iterations(p, 8192.f), 16);
}

// t_tok = S_w / (0.6 BW), t_pre = 2 P / (0.3 F) for the ECLD variant (3.3 GB, 4.5 B).
TEST(OffloadPhysics, DevicePerTokenTimes) {
  const OffloadParams p = params_with();
  const double bw[3] = {44e9, 67e9, 51e9}, f[3] = {1.2e12, 3.5e12, 2.0e12};
  ASSERT_EQ(p.num_device_kinds, 3);
  for (int k = 0; k < 3; ++k) {
    EXPECT_NEAR(p.d.device_token_s[k], 3.3e9 / (0.6 * bw[k]), 1e-6) << k;
    EXPECT_NEAR(p.d.device_prefill_s[k], 2 * 4.5e9 / (0.3 * f[k]), 1e-7) << k;
  }
  EXPECT_NEAR(p.d.device_token_s[0], 0.125, 1e-6);  // Snapdragon 865: 8 tokens/s
}

// E[sigmoid(mu + Z)] by Monte Carlo in the test vs the quadrature in derive_params.
TEST(OffloadPhysics, MeanUncertaintyPerClass) {
  const OffloadParams p = params_with();
  for (int c = 0; c < 2; ++c) {
    double s = 0;
    const int n = 200000;
    for (int k = 0; k < n; ++k) {
      Rng r(5, static_cast<uint32_t>(k), 0, 9, 0);
      s += 1.0 / (1.0 + std::exp(-(p.uncertainty_mu[c] + r.normal())));
    }
    EXPECT_NEAR(p.d.mean_uncertainty[c], s / n, 2e-3) << c;
  }
}

}  // namespace
}  // namespace mecrl::offload
