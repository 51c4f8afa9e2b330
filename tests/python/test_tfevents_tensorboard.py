"""Reads the event file written by core/tfevents.cpp with TensorBoard's own
EventAccumulator and compares tags, steps and values with numbers recomputed
here (the same double expressions as tests/tools/write_samples.cpp, rounded
to float32). Exit 77 (skipped) when tensorboard is not installed."""
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
except ImportError as e:
    print(f"skipped: {e} (install tests/python/requirements.txt into .venv)")
    sys.exit(77)


def expected():
    f32 = lambda x: float(np.float32(x))
    return {
        "charts/SPS": [(s, f32(1000.0 + 37.5 * s)) for s in range(10)],
        "losses/approx_kl": [(s, f32(0.001 * (s + 1))) for s in range(10)],
        "charts/episodic_return": [(s * 128, f32(-5.0 + 0.1 * s * s)) for s in range(10)],
    }


def main():
    tool = os.path.join(os.environ["MECRL_BUILD_DIR"], "tests", "mecrl_write_samples")
    # No "tfevents" in the directory name: TensorBoard would take it for a file.
    with tempfile.TemporaryDirectory(prefix="mecrl_tb_run_") as tmp:
        subprocess.run([tool, tmp], check=True)
        files = [f for f in os.listdir(tmp) if "tfevents" in f]
        assert len(files) == 1 and files[0].startswith("events.out.tfevents."), files

        # size_guidance 0: keep every scalar (the default samples them).
        acc = EventAccumulator(tmp, size_guidance={"scalars": 0})
        acc.Reload()
        want = expected()
        got_tags = sorted(acc.Tags()["scalars"])
        assert got_tags == sorted(want), f"tags {got_tags} != {sorted(want)}"
        for tag, points in want.items():
            events = acc.Scalars(tag)
            got = [(e.step, e.value) for e in events]
            assert got == points, f"{tag}: {got} != {points}"
            assert all(e.wall_time > 1.6e9 for e in events), f"{tag}: implausible wall_time"
        # The version record is what makes TensorBoard accept the file.
        assert acc.FirstEventTimestamp() > 1.6e9
        assert acc.file_version == 2.0, acc.file_version
    print("ok: TensorBoard read", sum(len(v) for v in want.values()), "scalars")


if __name__ == "__main__":
    main()
