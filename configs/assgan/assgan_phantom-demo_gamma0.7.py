# Gamma override example (the paper's Fig. 5/7 sweep): a stricter trust gate.
# With the default AgreementGate gamma is the share of recent pseudo-labels
# rejected (0.7: only the best-agreeing 30% pass). The same from the command line:
#   python tools/train.py configs/assgan/assgan_phantom-demo.py --cfg-options model.gamma=0.7
_base_ = ['./assgan_phantom-demo.py']
model = dict(gamma=0.7)
