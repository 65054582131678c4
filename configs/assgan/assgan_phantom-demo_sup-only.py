# The supervised-only reference for the ASSGAN demo: both generators and the
# discriminator exactly as in assgan_phantom-demo.py, but the semi-supervised
# phase never starts (Algorithm 1 for the whole schedule). Compare its test
# IoU with the full ASSGAN run to see what the unlabeled images add.
_base_ = ['./assgan_phantom-demo.py']
custom_hooks = [dict(type='SplitRecorderHook'),
                dict(type='ASSGANHook', semi_start=None, epoch_length=50)]
