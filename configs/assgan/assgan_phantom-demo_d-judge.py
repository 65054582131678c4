# The phantom demo with D as a judge instead of a shape prior (see
# assgan_busi-cpu128_15pct_d-judge.py).
_base_ = ['./assgan_phantom-demo.py']
model = dict(gate=dict(_delete_=True, type='AgreementDiscriminatorGate',
                       gamma=0.2),
             semi_train_cfg=dict(lambda_adv=0.))
