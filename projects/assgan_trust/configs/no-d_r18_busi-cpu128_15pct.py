# The agreement-rank gate with the strong view and no discriminator, pinned
# here: the D-free twin of d-judge and d-prior.
_base_ = ['../../../configs/assgan/assgan_busi-cpu128-r18_15pct.py',
          './_strong_view_arms.py']
model = dict(discriminator=None, gate={{_base_.agree_rank_gate}},
             semi_train_cfg={{_base_.semi_no_d}})
optim_wrapper = dict(discriminator=None)
