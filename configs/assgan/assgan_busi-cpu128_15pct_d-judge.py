# The default trust rule with D as a judge instead of a shape prior: each
# pseudo-label's trust is the mean of its agreement rank and its D-score
# rank (AgreementDiscriminatorGate, lowest gamma = 20% rejected, the rest
# weighted), no L_adv. At full width it cost 1.5 IoU points (G_a) against
# the same rule without D; configs/assgan/README.md.
_base_ = ['./assgan_busi-cpu128_15pct.py']
model = dict(gate=dict(_delete_=True, type='AgreementDiscriminatorGate',
                       gamma=0.2),
             semi_train_cfg=dict(lambda_adv=0.))
