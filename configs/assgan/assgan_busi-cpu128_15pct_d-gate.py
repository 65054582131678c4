# assgan_busi-cpu128_15pct with round 4's default trust gate (README, "ASSGAN's
# trust gate", rounds 3-4): Hung et al.'s PatchGAN D judges the thresholded
# pseudo-label (learnt as ground truth vs. predictions in Algorithm 1, no
# L_adv), and the lowest-scored 20% of recent predictions are rejected
# (QuantileGate, gamma 0.2). Kept for comparisons: on busi-dev its score
# tracked the true IoU with Spearman rho 0.1-0.4, the default AgreementGate's
# 0.68-0.75, and G_a was 2.1 +- 3.4 IoU points lower (6 paired units).
_base_ = ['./assgan_busi-cpu128_15pct.py']
model = dict(discriminator=dict(_delete_=True, type='PatchDiscriminator',
                                in_channels=1, base_channels=16),
             gate=dict(_delete_=True, type='QuantileGate'),
             gamma=0.2, lambda_adv=0.0)
optim_wrapper = dict(discriminator=dict(_delete_=True, optimizer=dict(lr=1e-4)))
