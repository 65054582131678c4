# The default rule with D as a judge instead of a shape prior: the mean of
# the agreement rank and D's score rank weighs each pseudo-label (gamma 0.2
# cut); D keeps learning in the semi phase; no L_adv.
_base_ = ['../../../configs/assgan/assgan_busi-cpu128-r18_15pct.py']
model = dict(gate=dict(_delete_=True, type='AgreementDiscriminatorGate',
                       gamma=0.2),
             semi_train_cfg=dict(lambda_adv=0.))
