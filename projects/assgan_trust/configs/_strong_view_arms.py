# The semi-supervised settings of the strong-view arms (d-judge, d-prior,
# no-d), pinned so that they stay what the study measured whatever the
# shipped default becomes: the receiver learns each pseudo-label on a
# strong view; D, where there is one, learns in both phases.
_common = dict(lambda_semi=1.0, adv_warmup=True, adv_on_unlabeled=True,
               d_input=dict(binarize=True, with_image=True),
               strong_aug=dict(type='StrongPerturbation'))
semi_judge = dict(_delete_=True, lambda_adv=0., train_d_in_semi=True,
                  **_common)
semi_prior = dict(_delete_=True, lambda_adv=0.01, train_d_in_semi=True,
                  **_common)
semi_no_d = dict(_delete_=True, lambda_adv=0., train_d_in_semi=False,
                 **_common)
agree_rank_gate = dict(_delete_=True, type='AgreementGate', gamma=0.2,
                       weighting='rank')
