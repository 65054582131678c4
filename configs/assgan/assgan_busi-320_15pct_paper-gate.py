# assgan_busi-320_15pct with the paper-literal trust gate (for Table 9-style comparisons):
# D sees soft sigmoid maps against 0/1 ground truth, only labeled predictions
# are fakes, and D keeps training through Algorithm 2 (bus_mm <= 0.1's
# behaviour). Measured pitfall: D learns "is the background exactly 0?" and
# accepts almost nothing (README, ASSGAN gate study).
_base_ = ['./assgan_busi-320_15pct.py']
model = dict(discriminator=dict(_delete_=True, type='PatchDiscriminator',
                                in_channels=1, base_channels=64),
             gate=dict(_delete_=True, type='PaperGate'),
             gamma=0.5, lambda_adv=0.01,
             adv_on_unlabeled=False, train_d_in_semi=True)
# D's optimizer (the defaults have no D)
optim_wrapper = dict(discriminator=dict(_delete_=True))
