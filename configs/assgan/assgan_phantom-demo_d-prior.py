# The phantom demo with D as a shape prior instead of a judge (see
# assgan_busi-cpu128_15pct_d-prior.py).
_base_ = ['./assgan_phantom-demo.py']
model = dict(gate=dict(_delete_=True, type='AgreementGate', gamma=0.2,
                       weighting='rank'),
             semi_train_cfg=dict(lambda_adv=0.01))
