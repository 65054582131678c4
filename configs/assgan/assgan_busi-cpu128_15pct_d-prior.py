# The default trust rule (agreement rank, gamma 0.2, strong view) with D as
# a shape prior instead of a judge: L_adv 0.01 from the semi-supervised
# phase on, on labeled and strong-view unlabeled predictions (the shipped
# default until the full-width study measured its cost:
# configs/assgan/README.md).
_base_ = ['./assgan_busi-cpu128_15pct.py']
model = dict(gate=dict(_delete_=True, type='AgreementGate', gamma=0.2,
                       weighting='rank'),
             semi_train_cfg=dict(lambda_adv=0.01))
