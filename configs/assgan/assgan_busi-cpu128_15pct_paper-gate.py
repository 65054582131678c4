# The paper read literally: D (base width 16) sees the soft sigmoid map
# alone and judges each unlabeled prediction, accepted when its mean patch
# score exceeds gamma = 0.5; L_adv (0.01) in both phases; D keeps training
# in Algorithm 2 on labeled fakes; no strong view
# (../_base_/models/assgan_paper-gate.py).
_base_ = ['./assgan_busi-cpu128_15pct.py',
          '../_base_/models/assgan_paper-gate.py']
model = {{_base_.paper_gate_cpu}}
