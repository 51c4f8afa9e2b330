#!/usr/bin/env bash
# The uncertainty study of issue 5: train PPO on the scenario, then sweep it
# with every baseline over N (tau = 0.7) and over tau (N = 120).
#   scripts/study_uncertainty.sh [out_dir] [train overrides ...]
#   STUDY_CONFIG=configs/uncertainty_ppo_join.yaml scripts/study_uncertainty.sh out_join
#     trains that config instead; a config with env.join_view on sweeps every
#     policy with it (baselines score the same with it: tests/envs/uncertainty/
#     test_join_view.cpp).
# Writes <out>/sweep_n.csv, <out>/sweep_tau.csv (one row per point and policy)
# and the run directory under <out>/runs/: the layout `./mecrl report <out>`
# reads (scripts/report/inputs.py); the learned policy's sweep rows name its
# checkpoint, which the report labels "learned <agent>" from the run's config.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(realpath -m "${1:-study_uncertainty}")"
shift || true
mkdir -p "$out"
cd "$root"
config="${STUDY_CONFIG:-configs/uncertainty_ppo.yaml}"
join="$(./mecrl config --config "$config" | awk '$1 == "env.join_view" {print $2}')"
./mecrl train --config "$config" train.runs_dir="$out/runs" train.name=unc_ppo "$@" | tee "$out/train.log"
run="$(ls -d "$out"/runs/unc_ppo__* | tail -1)"
policies="goa,dmin,random,local,edge,$run/checkpoints/last"
./mecrl sweep --config configs/uncertainty.yaml --policies "$policies" --set env.join_view="${join:-false}" \
  --set env.num_users=50,60,70,80,90,100,110,120 --set env.tau=0.7 --episodes 500 --out "$out/sweep_n.csv"
./mecrl sweep --config configs/uncertainty.yaml --policies "$policies" --set env.join_view="${join:-false}" \
  --set env.num_users=120 --set env.tau=0.6,0.7,0.8,0.9,1.0 --episodes 500 --out "$out/sweep_tau.csv"
