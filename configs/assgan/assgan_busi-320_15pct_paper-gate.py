# assgan_busi-320_15pct with the paper-literal trust gate (for Table 9-style comparisons):
# D sees soft sigmoid maps against 0/1 ground truth, only labeled predictions
# are fakes, and D keeps training through Algorithm 2. Measured pitfall: D learns "is the background exactly 0?" and
# accepts almost nothing (docs/advanced_guides/assgan.md).
_base_ = ['./assgan_busi-320_15pct.py',
          '../_base_/models/assgan_paper-gate.py']
model = {{_base_.paper_gate}}
