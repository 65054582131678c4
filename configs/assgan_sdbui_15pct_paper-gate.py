# The SDBUI headline config with the paper-literal trust gate (Table 9-style
# comparisons): D sees soft sigmoid maps against 0/1 ground truth, only
# labeled predictions are fakes, D trains through Algorithm 2.
_base_ = ['./assgan_sdbui_15pct.py',
          '_base_/models/assgan_paper-gate.py']
model = {{_base_.paper_gate}}
