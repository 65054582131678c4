# The SDBUI headline config with the paper-literal trust gate (Table 9-style
# comparisons): D sees soft sigmoid maps against 0/1 ground truth, only
# labeled predictions are fakes, D trains through Algorithm 2.
_base_ = ['./assgan_sdbui_15pct.py']
model = dict(
    discriminator=dict(_delete_=True, type='PatchDiscriminator',
                       in_channels=1, base_channels=64),
    gate=dict(_delete_=True, type='DiscriminatorGate', gamma=0.5),
    semi_train_cfg=dict(lambda_adv=0.01, adv_warmup=False,
                        adv_on_unlabeled=False, train_d_in_semi=True,
                        d_input=dict(binarize=False, with_image=False),
                        strong_aug=None))
