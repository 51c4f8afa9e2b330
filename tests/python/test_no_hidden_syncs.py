#!/usr/bin/env python3
"""No hidden host synchronisation in the training loop's sources.

The loop reads the device once per iteration, through agents/host_reads.h,
which counts every read (Trainer.OneHostReadPerIteration checks the count on
the CPU). What the counter cannot see are the calls that synchronise by
themselves on a GPU: .item(), .cpu(), a copy to kCPU, nonzero(),
masked_select(), boolean-mask indexing, torch::one_hot (it checks its range
on the host), LibTorch's clip_grad_norm_ (it returns a double). This test keeps
them out of the loop's files, so a GPU run cannot regress silently in CI,
which has no GPU. Tests, checkpoint I/O and evaluation are outside the loop.
"""
import os
import re
import sys

SRC = os.environ.get("MECRL_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
LOOP = ["trainer.cpp", "rollout_collector.cpp", "ppo_update.cpp", "ppo_loss.cpp", "world_model.cpp", "gae.cpp",
        "lagrangian.cpp", "running_stats.cpp", "policy.cpp", "compaction.cpp", "iteration_metrics.cpp", "rollout.cpp"]
FORBIDDEN = {
    r"\.item\s*<": ".item<>() reads the device",
    r"\.item\s*\(": ".item() reads the device",
    r"\.cpu\s*\(": ".cpu() copies to the host",
    r"kCPU": "a copy to the CPU",
    r"\bnonzero\s*\(": "nonzero() has a data-dependent size",
    r"masked_select": "masked_select has a data-dependent size",
    r"\bone_hot\s*\(": "torch::one_hot checks its range on the host (use one_hot_f)",
    r"clip_grad_norm_": "LibTorch's clip_grad_norm_ returns the norm as a double (use clip_grad_norm)",
    r"\.any\s*\(\s*\)\s*\.": "any() followed by a read",
}


def main():
    failures = []
    for name in LOOP:
        path = os.path.join(SRC, "agents", name)
        if not os.path.exists(path):
            failures.append(f"agents/{name}: listed as part of the training loop but missing (update this test)")
            continue
        with open(path) as f:
            for n, line in enumerate(f, 1):
                code = line.split("//", 1)[0]
                if "to_host(" in code:  # the counted read; what follows works on a host tensor
                    continue
                for pattern, why in FORBIDDEN.items():
                    if re.search(pattern, code):
                        failures.append(f"agents/{name}:{n}: {why}: {line.strip()}")
    # The one sanctioned place.
    with open(os.path.join(SRC, "agents", "host_reads.cpp")) as f:
        if "kCPU" not in f.read():
            failures.append("agents/host_reads.cpp no longer copies to the host: is the check still meaningful?")
    for f in failures:
        print("FAIL", f)
    print(f"checked {len(LOOP)} files of the training loop: {len(failures)} problems")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
