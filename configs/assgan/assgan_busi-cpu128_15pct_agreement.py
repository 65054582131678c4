# ASSGAN with AgreementGate: an unlabeled prediction is judged by how well it
# agrees (IoU of the hard masks) with the other generator's prediction on the
# same image; the least-agreeing gamma = 50% of recent predictions are
# rejected. No discriminator: D does not judge here, and with lambda_adv = 0
# it has no other use (README, "ASSGAN's trust gate", round 5: an offline
# audit of six trained runs measured Spearman rho 0.36-0.63 between this
# score and the true IoU, against -0.06-0.32 for D's).
#   python tools/cross_val.py configs/assgan/assgan_busi-cpu128_15pct_agreement.py \
#       --num-folds 3 --data-root data/BUSI --audit-gate
_base_ = ['./assgan_busi-cpu128_15pct.py']
model = dict(gate=dict(type='AgreementGate'), gamma=0.5, discriminator=None)
optim_wrapper = dict(discriminator=None)
