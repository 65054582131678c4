# The paper read literally, as a model fragment for ASSGAN configs: D (Hung
# et al., base width 64) sees the soft sigmoid map alone and judges each
# unlabeled prediction (accepted when its mean patch score exceeds gamma =
# 0.5); L_adv 0.01 in both phases; D keeps training in Algorithm 2 on
# labeled fakes; no strong view. A config inherits it next to its base and
# sets
#   model = {{_base_.paper_gate}}
paper_gate = dict(
    discriminator=dict(_delete_=True, type='PatchDiscriminator',
                       in_channels=1, base_channels=64),
    gate=dict(_delete_=True, type='DiscriminatorGate', gamma=0.5),
    semi_train_cfg=dict(lambda_adv=0.01, adv_warmup=False,
                        adv_on_unlabeled=False, train_d_in_semi=True,
                        d_input=dict(binarize=False, with_image=False),
                        strong_aug=None))
