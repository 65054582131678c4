# The paper read literally, as model fragments for ASSGAN configs: D (Hung
# et al.) sees the soft sigmoid map alone and judges each unlabeled
# prediction (accepted when its mean patch score exceeds gamma = 0.5);
# L_adv 0.01 in both phases; D keeps training in Algorithm 2 on labeled
# fakes; no strong view. A config inherits this file next to its base and
# sets
#   model = {{_base_.paper_gate}}       # D base width 64 (paper-size configs)
#   model = {{_base_.paper_gate_cpu}}   # D base width 16 (128 px CPU configs)
_paper_d = dict(_delete_=True, type='PatchDiscriminator', in_channels=1)
_paper_rule = dict(
    gate=dict(_delete_=True, type='DiscriminatorGate', gamma=0.5),
    semi_train_cfg=dict(lambda_adv=0.01, adv_warmup=False,
                        adv_on_unlabeled=False, train_d_in_semi=True,
                        d_input=dict(binarize=False, with_image=False),
                        strong_aug=None))
paper_gate = dict(discriminator=dict(**_paper_d, base_channels=64),
                  **_paper_rule)
paper_gate_cpu = dict(discriminator=dict(**_paper_d, base_channels=16),
                      **_paper_rule)
del _paper_d, _paper_rule
