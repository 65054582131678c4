# The SDBUI headline config with the paper-literal trust gate (Table 9-style
# comparisons): D sees soft sigmoid maps against 0/1 ground truth, only
# labeled predictions are fakes, D trains through Algorithm 2.
_base_ = ['./assgan_sdbui_15pct.py']
model = dict(discriminator=dict(_delete_=True, type='PatchDiscriminator',
                                in_channels=1, base_channels=64),
             gate=dict(_delete_=True, type='PaperGate'),
             gamma=0.5, lambda_adv=0.01,
             adv_on_unlabeled=False, train_d_in_semi=True)
# D's optimizer (the defaults have no D)
optim_wrapper = dict(discriminator=dict(_delete_=True))
