"""Reads the safetensors file written by core/safetensors.cpp with the
reference library (safetensors.numpy.load_file, safe_open for metadata) and
compares every tensor with values recomputed here (the same expressions as
tests/tools/write_samples.cpp). Exit 77 (skipped) when safetensors or numpy
is not installed."""
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    from safetensors import safe_open
    from safetensors.numpy import load_file
except ImportError as e:
    print(f"skipped: {e} (install tests/python/requirements.txt into .venv)")
    sys.exit(77)


def expected():
    return {
        "policy/weight": (0.5 * np.arange(12, dtype=np.float64) - 3.0).astype(np.float32).reshape(3, 4),
        "policy/bias": np.array(0.25, dtype=np.float32),
        "optimizer/steps": np.array([0, 1, -1, 1 << 40, -(1 << 62)], dtype=np.int64),
        "obs_norm/mean": np.array([1.5, -2.25], dtype=np.float64),
        "empty": np.zeros((0, 4), dtype=np.float32),
    }


def main():
    tool = os.path.join(os.environ["MECRL_BUILD_DIR"], "tests", "mecrl_write_samples")
    with tempfile.TemporaryDirectory(prefix="mecrl_safetensors_") as tmp:
        subprocess.run([tool, tmp], check=True)
        path = os.path.join(tmp, "sample.safetensors")

        got = load_file(path)
        want = expected()
        assert sorted(got) == sorted(want), f"names {sorted(got)} != {sorted(want)}"
        for name, w in want.items():
            g = got[name]
            assert g.dtype == w.dtype, f"{name}: dtype {g.dtype} != {w.dtype}"
            assert g.shape == w.shape, f"{name}: shape {g.shape} != {w.shape}"
            assert np.array_equal(g, w), f"{name}: {g} != {w}"

        with safe_open(path, framework="numpy") as f:
            meta = f.metadata()
            assert meta == {"format": "mecrl", "activation": "tanh", "iteration": "42"}, meta
            assert f.get_tensor("policy/bias").shape == ()

        # The header length is padded to 8 so mapped tensors are aligned.
        with open(path, "rb") as fh:
            n = int.from_bytes(fh.read(8), "little")
        assert n % 8 == 0, n
    print("ok: safetensors read", len(want), "tensors and the metadata")


if __name__ == "__main__":
    main()
