"""Models: specs (presets, module:Class), the one cross-validation, fitting, ensembles, saved models."""
