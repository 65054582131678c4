# D as a judge (trust = mean of the agreement rank and the D-score rank,
# lowest 20% rejected, the rest weighted), no L_adv, the strong view: the
# shipped default while the study's main phase ran, pinned here.
_base_ = ['../../../configs/assgan/assgan_busi-cpu128-r18_15pct.py',
          './_strong_view_arms.py']
model = dict(gate=dict(_delete_=True, type='AgreementDiscriminatorGate',
                       gamma=0.2),
             semi_train_cfg={{_base_.semi_judge}})
