#!/usr/bin/env python3
"""PyTorch side of `repro bench train --pytorch`: training throughput of one network, measured
the way the Swift engine is measured, so the two can be compared on the same machine in one run.

The network is built from a netconfig in MIT's JSON format (ProxylessNASNets: first_conv,
MobileInvertedResidualBlock blocks, optional feature_mix_layer, classifier), which
`repro bench train` writes from its own model zoo, so both sides train the same graph; the
parameter and MAC counts are printed for the caller to compare with its own.

One step is forward + softmax cross-entropy, backward, and an SGD step (momentum 0.9, weight
decay 5e-5 on conv/linear weights only, as the suite's `SGD.Configuration.paper`), on random
uniform [-1, 1] images and random labels, in channels-last layout (PyTorch's faster layout on
CPU for these networks). The median of the timed steps is reported, after untimed warm-up steps.

Output: one JSON object on stdout. Errors: a message on stderr and exit status 2.
Usage: bench-pytorch.py --config NET.json --resolution R --batch B --threads T
       [--classes C] [--warmup W] [--iterations I] [--seed S] [--count-only]
--count-only prints the parameter and MAC counts without training (the suite's tests compare
them with its own analytics when torch is installed).
"""

import argparse
import json
import statistics
import sys
import time

try:
    import torch
    import torch.nn as nn
except ImportError as error:  # reported to the Swift caller, which names the fix
    print(f"bench-pytorch: cannot import torch ({error})", file=sys.stderr)
    sys.exit(3)


def activation(name):
    if name is None or name == "none":
        return None
    if name == "relu6":
        return nn.ReLU6(inplace=True)
    if name == "relu":
        return nn.ReLU(inplace=True)
    if name in ("h_swish", "hswish"):
        return nn.Hardswish(inplace=True)
    raise ValueError(f"unsupported act_func {name!r}")


def conv_bn_act(cin, cout, kernel, stride, groups, act, bn, bias=False):
    layers = [nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=bias)]
    if bn is not None:
        layers.append(nn.BatchNorm2d(cout, momentum=bn["momentum"], eps=bn["eps"]))
    a = activation(act)
    if a is not None:
        layers.append(a)
    return nn.Sequential(*layers)


def conv_layer(cfg, bn):
    if cfg.get("ops_order", "weight_bn_act") != "weight_bn_act":
        raise ValueError(f"unsupported ops_order {cfg['ops_order']!r}")
    return conv_bn_act(
        cfg["in_channels"], cfg["out_channels"], cfg["kernel_size"], cfg.get("stride", 1),
        cfg.get("groups", 1), cfg.get("act_func"), bn if cfg.get("use_bn", True) else None,
        cfg.get("bias", False))


class MBConv(nn.Module):
    def __init__(self, block, bn):
        super().__init__()
        conv = block["mobile_inverted_conv"]
        if conv.get("use_se"):
            raise ValueError("squeeze-excite blocks are not supported")
        cin, cout, k = conv["in_channels"], conv["out_channels"], conv["kernel_size"]
        expand = conv["expand_ratio"]
        mid = conv.get("mid_channels") or round(cin * expand)
        act = conv.get("act_func", "relu6")
        layers = []
        if expand != 1:
            layers.append(conv_bn_act(cin, mid, 1, 1, 1, act, bn))
        else:
            mid = cin
        layers.append(conv_bn_act(mid, mid, k, conv["stride"], mid, act, bn))
        layers.append(conv_bn_act(mid, cout, 1, 1, 1, None, bn))
        self.body = nn.Sequential(*layers)
        shortcut = block.get("shortcut")
        self.residual = shortcut is not None and shortcut.get("name") == "IdentityLayer"

    def forward(self, x):
        y = self.body(x)
        return x + y if self.residual else y


class Net(nn.Module):
    def __init__(self, config, classes):
        super().__init__()
        bn = config.get("bn") or {"momentum": 0.1, "eps": 1e-5}
        layers = [conv_layer(config["first_conv"], bn)]
        for index, block in enumerate(config["blocks"]):
            conv = block.get("mobile_inverted_conv")
            if conv is None or conv.get("name") == "ZeroLayer":
                continue  # a skipped block (ZeroLayer + identity shortcut): the identity
            try:
                layers.append(MBConv(block, bn))
            except KeyError as error:
                raise ValueError(f"blocks[{index}]: missing key {error}") from None
        if config.get("feature_mix_layer"):
            layers.append(conv_layer(config["feature_mix_layer"], bn))
        self.features = nn.Sequential(*layers)
        fc = config["classifier"]
        self.dropout = nn.Dropout(fc.get("dropout_rate", 0) or 0)
        self.classifier = nn.Linear(fc["in_features"], classes, bias=fc.get("bias", True))

    def forward(self, x):
        x = self.features(x).mean(dim=(2, 3))
        return self.classifier(self.dropout(x))


def count_macs(model, resolution):
    """Multiply-accumulates of one image's forward pass (convolutions and linear layers)."""
    macs = 0

    def hook(module, inputs, output):
        nonlocal macs
        if isinstance(module, nn.Conv2d):
            per_output = module.in_channels // module.groups
            per_output *= module.kernel_size[0] * module.kernel_size[1]
            macs += output.numel() * per_output
        elif isinstance(module, nn.Linear):
            macs += output.numel() * module.in_features

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, (nn.Conv2d, nn.Linear))]
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, 3, resolution, resolution))
    for h in handles:
        h.remove()
    model.train()
    return macs


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--resolution", type=int, required=True)
    parser.add_argument("--batch", type=int, required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--classes", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--count-only", action="store_true")
    args = parser.parse_args()
    try:
        with open(args.config) as f:
            config = json.load(f)
        torch.manual_seed(args.seed)
        torch.set_num_threads(args.threads)
        model = Net(config, args.classes)
        params = sum(p.numel() for p in model.parameters())
        macs = count_macs(model, args.resolution)
    except (OSError, ValueError, KeyError, TypeError) as error:
        print(f"bench-pytorch: {args.config}: {error!r}", file=sys.stderr)
        sys.exit(2)
    if args.count_only:
        print(json.dumps({"params": params, "macs": macs}))
        return

    model = model.to(memory_format=torch.channels_last).train()
    decay = [p for n, p in model.named_parameters() if p.dim() > 1]
    no_decay = [p for n, p in model.named_parameters() if p.dim() <= 1]
    optimizer = torch.optim.SGD(
        [{"params": decay, "weight_decay": 5e-5}, {"params": no_decay, "weight_decay": 0}],
        lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    images = (torch.rand(args.batch, 3, args.resolution, args.resolution) * 2 - 1)
    images = images.contiguous(memory_format=torch.channels_last)
    labels = torch.randint(0, args.classes, (args.batch,))

    phases = []
    for iteration in range(args.warmup + args.iterations):
        t0 = time.perf_counter()
        loss = loss_fn(model(images), labels)
        t1 = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        t2 = time.perf_counter()
        optimizer.step()
        t3 = time.perf_counter()
        if iteration >= args.warmup:
            phases.append((t1 - t0, t2 - t1, t3 - t2))

    step = statistics.median(sum(p) for p in phases)
    print(json.dumps({
        "images_per_s": args.batch / step,
        "step_s": step,
        "forward_s": statistics.median(p[0] for p in phases),
        "backward_s": statistics.median(p[1] for p in phases),
        "optimizer_s": statistics.median(p[2] for p in phases),
        "params": params,
        "macs": macs,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "mkldnn": torch.backends.mkldnn.is_available(),
        "memory_format": "channels_last",
    }))


if __name__ == "__main__":
    main()
