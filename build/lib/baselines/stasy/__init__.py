"""STaSy baseline (Kim, Lee & Park, "STaSy: Score-based Tabular data Synthesis", ICLR 2023).

The paper compares MissDiff with STaSy trained on completed data (section 4.2, Appendix C.4):
`stasy_delete` drops every row with a missing value, `stasy_mean` fills with column means / modes;
both then train the same STaSy model. Our own code, written from the STaSy paper's description
and the notes in shared/notes/reference-implementations.md. One job per module:

- sde.py: the variance-exploding SDE, sigma 0.01 -> 10 (Song et al. 2021);
- network.py: the ConcatSquash score network, conditioned on Fourier features of log sigma;
- loss.py: per-row denoising score matching and self-paced weights (STaSy sec. 3.2);
- solver.py: the probability-flow ODE, for sampling and for log-likelihoods (Hutchinson);
- train.py: self-paced training, likelihood fine-tuning (STaSy sec. 3.3), checkpoints;
- config.py: `StasyConfig`; model.py: `Stasy`, `StasyDelete`, `StasyMean`.
"""

from baselines.stasy.config import StasyConfig
from baselines.stasy.model import Stasy, StasyDelete, StasyMean

__all__ = ["Stasy", "StasyConfig", "StasyDelete", "StasyMean"]
