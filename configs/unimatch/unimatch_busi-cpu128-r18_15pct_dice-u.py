# unimatch_busi-cpu128-r18_15pct.py with the unlabeled loss of UniMatch's
# official medical recipe: Dice alone on the confident pixels (the labeled
# loss stays Dice + BCE). With tau 0.95 on a sigmoid head nearly every
# confident pixel is background, and a per-pixel BCE then pulls the lesion
# away (busi-dev: sensitivity -8.6 points against the supervised row); Dice
# weighs the few confident lesion pixels as much as the background.
#   python tools/cross_val.py configs/unimatch/unimatch_busi-cpu128-r18_15pct_dice-u.py \
#       --num-folds 3 --data-root data/BUSI --checkpoint last --amp auto
_base_ = ['./unimatch_busi-cpu128-r18_15pct.py']
model = dict(semi_train_cfg=dict(
    loss_u=dict(type='DiceBCELoss', bce_weight=0., loss_name='loss_dice')))
