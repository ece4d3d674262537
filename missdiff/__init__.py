"""MissDiff: diffusion models trained directly on tabular data with missing values.

Reproduction framework for Ouyang et al., "MissDiff: Training Diffusion Models on Tabular Data
with Missing Values". See ARCHITECTURE.md for how the packages fit together.
"""

__version__ = "0.1.0"
