"""The look shared by every figure (paper-sized, one colour per policy across
figures), saving as PNG and SVG, and the Figure/Table records the page
writer lays out."""
import os
from dataclasses import dataclass, field

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

plt.rcParams.update({
    "svg.fonttype": "none",      # text stays text: labels are searchable and checkable in the SVG
    "svg.hashsalt": "mecrl",     # stable ids: the same inputs give the same SVG
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.labelsize": 8,
    "legend.fontsize": 7,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "lines.linewidth": 1.4,
    "savefig.dpi": 200,
    "savefig.pad_inches": 0.02,
})

# One colour per name (policy, agent, device), given on first use and kept
# for the whole report, so a policy looks the same in every figure and no two
# names share a colour (tab10 without its grey, which marks references, then
# tab20b).
_PALETTE = [c for k, c in enumerate(plt.get_cmap("tab10").colors) if k != 7] + list(plt.get_cmap("tab20b").colors)
_KNOWN = ["goa", "dmin", "random", "local", "edge", "offload", "complexity", "greedy",
          "ppo", "ppo_lag", "wm_ppo", "wm_ppo_lag"]  # the papers' order: baselines, then learners
_given = {}


def colour(name):
    if name not in _given:
        _given[name] = _PALETTE[len(_given) % len(_PALETTE)]
    return _given[name]


def policy_order(names):
    """The papers' baselines first (in their order), then the rest sorted."""
    order = {n: k for k, n in enumerate(_KNOWN)}
    return sorted(names, key=lambda n: (order.get(n, len(order)), n))


@dataclass
class Figure:
    stem: str        # file name without extension, under figures/
    caption: str


@dataclass
class Table:
    caption: str
    header: list
    rows: list       # lists of str


@dataclass
class Section:
    title: str
    intro: str = ""
    figures: list = field(default_factory=list)
    tables: list = field(default_factory=list)
    notes: list = field(default_factory=list)


def save(fig, out_dir, stem, caption):
    """Writes figures/<stem>.png and .svg; returns the Figure record."""
    folder = os.path.join(out_dir, "figures")
    os.makedirs(folder, exist_ok=True)
    fig.savefig(os.path.join(folder, stem + ".png"), metadata={"Software": None})
    fig.savefig(os.path.join(folder, stem + ".svg"), metadata={"Date": None})
    plt.close(fig)
    return Figure(stem=stem, caption=caption)


def slug(text):
    return "".join(c if c.isalnum() else "_" for c in str(text)).strip("_")


def fmt(v, digits=3):
    """A table number: 3 significant digits, '-' for NaN/None."""
    if v is None or v != v:
        return "-"
    if v == int(v) and abs(v) < 1e6:
        return str(int(v))
    return f"{v:.{digits}g}"
