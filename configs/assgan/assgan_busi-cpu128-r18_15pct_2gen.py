# Full-width R18 generators, "2 generators" (Table 9): every pseudo-label is
# accepted (gamma 0), no D.
_base_ = ['./assgan_busi-cpu128-r18_15pct.py']
model = dict(discriminator=None, gamma=0.0)
