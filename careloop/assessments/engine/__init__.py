"""Pure assessment engine: validated risk models, guideline thresholds and TCM constitution.

One module per model; coefficients, thresholds, questionnaires and guidance texts are data files
under data/ with their sources.
"""

from .inputs import InputError, normalize_inputs
from .report import assess_all

__all__ = ["InputError", "assess_all", "normalize_inputs"]
