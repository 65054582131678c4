# Table III, TaiChiNet with head (b): Fig. 10(b), the MLP-head in the other
# order (O'_n -> O_p -> O_n). Head (c) is taichinet_busi-224.py. Curriculum
# as in taichinet_busi-224.py.
_base_ = ['./taichinet_busi-224.py']
model = dict(ablation='taichinet_head_b')
