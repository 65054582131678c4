# D as a shape prior on the labeled images only: the d-prior arm (agreement
# rank, strong view, L_adv 0.01) with L_adv pushing the generators' labeled
# predictions towards masks D takes for ground truth, but not their
# strong-view predictions of unlabeled images; D learns fakes from labeled
# predictions only. Tests whether L_adv's cost comes from judging perturbed
# unlabeled views.
_base_ = ['./d-prior_r18_busi-cpu128_15pct.py']
model = dict(semi_train_cfg=dict(adv_on_unlabeled=False))
