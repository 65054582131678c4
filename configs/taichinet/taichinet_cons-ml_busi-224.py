# Table II, TaiChiNet w Cons-ML: consistent mutual learning, both paths learn
# the lesion G_p; the head reads the other path's probability without the
# complement and L_C is the consistency MSE. Curriculum as in
# taichinet_busi-224.py (same masks, work_dirs/curriculum/busi_fold0).
_base_ = ['./taichinet_busi-224.py']
model = dict(ablation='taichinet_cons_ml')
