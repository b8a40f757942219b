# ViFi-CLIP stage 2, base-to-novel, tested on the novel classes: the
# base-to-novel prompting protocol without Mixup/CutMix, which only acts in
# training (these configs are run with tools/test.py on the prompts learned
# on the base classes). Leaves pair it with _base_/datasets/<dataset>_novel.py.
_base_ = ['prompting_base2novel.py']

model = dict(data_preprocessor=dict(blending=None))
