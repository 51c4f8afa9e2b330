#!/usr/bin/env bash
# CTest fixture "bundles": trains one tiny run per learner and scenario, exports
# each as a policy bundle and writes LibTorch's reference outputs for it.
#   tests/deploy/make_bundles.sh <mecrl> <mecrl_policy_reference> <source dir> <out dir>
# Writes <out>/index.tsv: name, checkpoint, run config, bundle, reference file.
#
#   name              learner        scenario     observation normalisation
#   offload_ppo_lag   PPO-Lagrangian offload      off (the preset's)
#   offload_wm_ppo    world-model    offload      on
#   uncertainty_ppo   PPO            uncertainty  on   (action masking)
#   cartpole_ppo      PPO            cartpole     on
#   uncertainty_floor PPO            uncertainty  on   (exploration floor 0.3 -> 0.15: the export acts with 0.15)
set -euo pipefail
mecrl="$1"; reference="$2"; src="$3"; out="$4"
rm -rf "$out"
mkdir -p "$out"
printf 'name\tcheckpoint\tconfig\tbundle\treference\n' > "$out/index.tsv.tmp"

make_bundle() {
  local name="$1" preset="$2"; shift 2
  "$mecrl" train --config "$src/configs/$preset" train.runs_dir="$out/runs" train.name="$name" threads=1 \
      train.checkpoint_every=1000 train.device=cpu "$@" > "$out/$name.train.log" 2>&1 \
    || { tail -n 20 "$out/$name.train.log" >&2; exit 1; }
  local run
  run="$(ls -d "$out/runs/$name"__*)"
  "$mecrl" export --policy "$run/checkpoints/last" --out "$out/$name.bundle" > "$out/$name.export.log"
  "$reference" "$run/checkpoints/last" "$run/config.yaml" "$out/$name.reference.safetensors"
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$run/checkpoints/last" "$run/config.yaml" "$out/$name.bundle" \
      "$out/$name.reference.safetensors" >> "$out/index.tsv.tmp"
}

make_bundle offload_ppo_lag offload_ppo.yaml env.num_users=8 env.num_servers=2 env.episode_slots=200 \
    train.num_envs=2 train.rollout_steps=32 train.total_steps=192
make_bundle offload_wm_ppo offload_wmppo.yaml env.num_users=8 env.episode_slots=200 ppo.norm_obs=true \
    train.num_envs=2 train.rollout_steps=32 train.total_steps=192 wm.hidden=16 wm.batch_windows=8 \
    wm.imagine_cells=2 wm.warmup_iterations=1
make_bundle uncertainty_ppo uncertainty_ppo.yaml env.num_users=10 ppo.norm_obs=true \
    train.num_envs=4 train.rollout_steps=4 train.total_steps=48
make_bundle cartpole_ppo cartpole_ppo.yaml ppo.norm_obs=true train.num_envs=2 train.rollout_steps=64 \
    train.total_steps=384
make_bundle uncertainty_floor uncertainty_ppo.yaml env.num_users=10 ppo.norm_obs=true \
    train.num_envs=4 train.rollout_steps=4 train.total_steps=48 train.exploration_floor=0.3 \
    train.exploration_floor_final=0.15
mv "$out/index.tsv.tmp" "$out/index.tsv"
