# assgan_busi-cpu128_15pct_sup.py with full-width ResNet-18 generators.
_base_ = ['./assgan_busi-cpu128_15pct_sup.py',
          '../_base_/models/assgan_r18_full-width.py']
model = {{_base_.r18_full_width}}
amp = 'auto'
channels_last = 'auto'
