# assgan_busi-cpu128_15pct_d-prior.py with full-width ResNet-18 generators:
# D as a shape prior (L_adv 0.01) instead of a judge, the row "D as a shape
# prior" of configs/assgan/README.md.
_base_ = ['./assgan_busi-cpu128_15pct_d-prior.py',
          '../_base_/models/assgan_r18_full-width.py']
model = {{_base_.r18_full_width}}
amp = 'auto'
channels_last = 'auto'
