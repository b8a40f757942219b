# Test only: a trained ViFi-CLIP ViT-B/16 scored on a label set, one view
# (zero-shot splits, base-to-novel novel classes, vanilla CLIP). Every weight
# comes from the checkpoint given to tools/test.py. Leaves pair it with a
# dataset base (the test split and class names), point the head at that
# base's label file and clear the train and val loaders it defines.
_base_ = ['../default_runtime.py', '../models/vifi-clip_vit-b16.py']

model = dict(clip=dict(pretrained=None))
test_cfg = dict(type='TestLoop')
