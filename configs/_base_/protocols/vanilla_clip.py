# Vanilla CLIP zero-shot (official ZS_EVAL): zero_shot_eval.py with the bare
# class name as the prompt ('{}') and no tower trained; the weights are
# OpenAI CLIP's, converted once with tools/convert_official_checkpoint.py
# (docs/protocols.md). The configs of test sets that have a ViFi-CLIP test
# config inherit that one instead and make the same change.
_base_ = ['zero_shot_eval.py']

model = dict(train_towers='none', cls_head=dict(template='{}'))
