"""Draws docs/images/rr_branch.png: the segmenter and the training-only Region Rebalance branch.

    python scripts/rr_branch_figure.py
"""

import os

import matplotlib
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs", "images", "rr_branch.png")
DEPLOYED, BRANCH, DATA = "#dbe4ff", "#ffe3cc", "#eeeeee"


def box(ax, x, y, w, h, text, color, bold=False):
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02,rounding_size=0.08",
                                facecolor=color, edgecolor="#333333", linewidth=1.2))
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=10.5,
            fontweight="bold" if bold else "normal", wrap=True)


def arrow(ax, start, end, dashed=False):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=14, linewidth=1.3,
                                 color="#333333", linestyle="--" if dashed else "-"))


def main():
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 4.6), dpi=110)
    ax.set_xlim(0, 11)
    ax.set_ylim(0, 4.6)
    ax.axis("off")
    # The segmenter: what is deployed.
    box(ax, 0.2, 3.2, 1.7, 0.9, "images\n(B, H, W, 3)", DATA)
    box(ax, 2.4, 3.2, 2.0, 0.9, "encoder +\ndecoder", DEPLOYED)
    box(ax, 4.9, 3.2, 2.0, 0.9, "pixel classifier\n(1×1 conv)", DEPLOYED)
    box(ax, 7.4, 3.2, 1.6, 0.9, "logits\n(B, H, W, K)", DEPLOYED)
    box(ax, 9.3, 3.2, 1.5, 0.9, "pixel CE", "#ffffff")
    arrow(ax, (1.9, 3.65), (2.4, 3.65))
    arrow(ax, (4.4, 3.65), (4.9, 3.65))
    arrow(ax, (6.9, 3.65), (7.4, 3.65))
    arrow(ax, (9.0, 3.65), (9.3, 3.65))
    ax.text(4.65, 4.35, "decoder features (B, h, w, C)", ha="center", fontsize=9.5, style="italic")
    # The region branch: training only.
    box(ax, 0.2, 1.0, 1.7, 0.9, "labels\n(B, H, W)", DATA)
    box(ax, 2.4, 1.0, 2.4, 0.9, "region pooling\nmean per (image, class)", BRANCH)
    box(ax, 5.3, 1.0, 2.0, 0.9, "region classifier\nC → K", BRANCH)
    box(ax, 7.8, 1.0, 3.0, 0.9, "CE(region logits + log F(k), k)\nmean over regions", BRANCH)
    arrow(ax, (4.45, 3.2), (3.6, 1.9))
    arrow(ax, (1.9, 1.45), (2.4, 1.45))
    arrow(ax, (4.8, 1.45), (5.3, 1.45))
    arrow(ax, (7.3, 1.45), (7.8, 1.45))
    ax.text(5.5, 0.35, "loss = pixel CE + λ · region loss   (λ = 0.3; F(k) = training images containing class k)",
            ha="center", fontsize=10.5, fontweight="bold")
    ax.text(0.2, 2.45, "training only: not in the export", fontsize=9.5, color="#a04000")
    ax.plot([0.1, 10.9], [2.3, 2.3], color="#a04000", linewidth=0.8, linestyle=":")
    fig.savefig(OUT, bbox_inches="tight", facecolor="white")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
