# Full-width R18 generators with the paper-literal gate and D (Eqs. 2-4,
# Algorithm 2 as printed; see assgan_busi-cpu128_15pct_paper-gate.py).
_base_ = ['./assgan_busi-cpu128-r18_15pct.py']
model = dict(discriminator=dict(_delete_=True, type='PatchDiscriminator',
                                in_channels=1, base_channels=16),
             gate=dict(_delete_=True, type='PaperGate'),
             gamma=0.5, lambda_adv=0.01,
             adv_on_unlabeled=False, train_d_in_semi=True)
optim_wrapper = dict(discriminator=dict(_delete_=True, optimizer=dict(lr=1e-4)))
