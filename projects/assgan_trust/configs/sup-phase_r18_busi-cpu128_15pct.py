# The shared supervised phase of every unit (run to iteration 400): the
# shipped default of the study's start, pinned here so that every unit's
# phase is the same whatever the default becomes. Its generators train on
# the labeled images alone (no L_adv before the semi-supervised phase), D
# learns beside them.
_base_ = ['../../../configs/assgan/assgan_busi-cpu128-r18_15pct.py']
model = dict(
    gate=dict(_delete_=True, type='AgreementDiscriminatorGate', gamma=0.2),
    semi_train_cfg=dict(
        _delete_=True, lambda_semi=1.0, lambda_adv=0., adv_warmup=True,
        adv_on_unlabeled=True, train_d_in_semi=True,
        d_input=dict(binarize=True, with_image=True),
        strong_aug=dict(type='StrongPerturbation')))
