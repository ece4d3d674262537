"""Table 1's imputation baselines through hyperimpute 0.1.17 (MICE, MissForest, GAIN, MIWAE) and
MIWAE as a generator (Table 6), behind `TabularModel`.

- `isolation`: the lazy hyperimpute import and the containment of its global side effects;
- `codec`: table <-> numeric array (category codes, scaling);
- `imputers`: the shared wrapper base, Mice, MissForest, MissForestFull, Gain;
- `miwae`: Miwae and MiwaeModified (generate-then-impute).

Importing this package does not import hyperimpute (or torch); the first fit does.
"""

from baselines.hyperimpute.imputers import (
    Gain,
    GainConfig,
    Mice,
    MiceConfig,
    MissForest,
    MissForestConfig,
    MissForestFull,
    MissForestFullConfig,
)
from baselines.hyperimpute.miwae import Miwae, MiwaeConfig, MiwaeModified, MiwaeModifiedConfig

__all__ = [
    "Gain",
    "GainConfig",
    "Mice",
    "MiceConfig",
    "MissForest",
    "MissForestConfig",
    "MissForestFull",
    "MissForestFullConfig",
    "Miwae",
    "MiwaeConfig",
    "MiwaeModified",
    "MiwaeModifiedConfig",
]
