# The default rule with D as a shape prior on the labeled images only: L_adv
# (0.01) pushes the generators' labeled predictions towards masks D takes
# for ground truth, but not their strong-view predictions of unlabeled
# images, and D learns fakes from labeled predictions only. Tests whether
# L_adv's cost in the default comes from judging perturbed unlabeled views.
_base_ = ['../../../configs/assgan/assgan_busi-cpu128-r18_15pct.py']
model = dict(semi_train_cfg=dict(adv_on_unlabeled=False))
