"""The one device picker: `train.device` ("auto" | "cpu" | "cuda") -> torch.device."""

from __future__ import annotations


def pick_device(choice: str):
    """cuda when asked for, or when "auto" and CUDA is available; else cpu."""
    import torch

    if choice == "cuda" or (choice == "auto" and torch.cuda.is_available()):
        return torch.device("cuda")
    return torch.device("cpu")
