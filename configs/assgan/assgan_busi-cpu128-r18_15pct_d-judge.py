# assgan_busi-cpu128_15pct_d-judge.py with full-width ResNet-18 generators:
# D as a judge beside the agreement rank instead of a shape prior.
_base_ = ['./assgan_busi-cpu128_15pct_d-judge.py',
          '../_base_/models/assgan_r18_full-width.py']
model = {{_base_.r18_full_width}}
amp = 'auto'
channels_last = 'auto'
