# The agreement cut without D: the least-agreeing gamma = 50% of recent
# pseudo-labels are rejected, the rest weigh 1; the receiver learns on the
# teacher's own (weak) view.
_base_ = ['./assgan_busi-cpu128_15pct_2gen.py']
model = dict(gate=dict(gamma=0.5))
