"""Mixed precision for the training step: `train.precision = "fp32" | "bf16" | "fp16"`.

    amp = Precision("bf16", device)
    with amp.autocast():
        loss = model(batch)
    amp.backward(loss); amp.unscale(opt); clip...; amp.step(opt)

bf16 and fp16 run the forward under `torch.autocast` (weights stay in their dtype, see
`model.dtype`); fp16 also scales the loss with a `torch.amp.GradScaler`, so small gradients
do not underflow (a step with inf/NaN gradients is skipped and the scale lowered). fp32 is a
no-op: the step is exactly the plain one.
"""

from __future__ import annotations

from contextlib import nullcontext

import torch

DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


class Precision:
    def __init__(self, precision: str, device: torch.device) -> None:
        self.precision, self.device = precision, device
        self.dtype = DTYPES.get(precision)
        self.scaler = torch.amp.GradScaler(device.type) if precision == "fp16" else None

    def autocast(self):
        if self.dtype is None:
            return nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.dtype)

    def backward(self, loss: torch.Tensor) -> None:
        (self.scaler.scale(loss) if self.scaler is not None else loss).backward()

    def unscale(self, opt: torch.optim.Optimizer) -> None:
        """Gradients back to their true scale before clipping (fp16)."""
        if self.scaler is not None:
            self.scaler.unscale_(opt)

    def step(self, opt: torch.optim.Optimizer) -> None:
        if self.scaler is None:
            opt.step()
            return
        self.scaler.step(opt)
        self.scaler.update()
