# Table III, TaiChiNet with head (a): Fig. 10(a), the Conv-head (O'_p -> O_n
# -> O_p). Head (c) is taichinet_busi-224.py. Curriculum as in
# taichinet_busi-224.py.
_base_ = ['./taichinet_busi-224.py']
model = dict(ablation='taichinet_head_a')
