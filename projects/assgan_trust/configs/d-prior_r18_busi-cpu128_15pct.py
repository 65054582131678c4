# D as a shape prior (L_adv 0.01 from the semi-supervised phase on, on
# labeled and strong-view predictions) on the agreement-rank gate, with the
# strong view, pinned here.
_base_ = ['../../../configs/assgan/assgan_busi-cpu128-r18_15pct.py',
          './_strong_view_arms.py']
model = dict(gate={{_base_.agree_rank_gate}},
             semi_train_cfg={{_base_.semi_prior}})
